// @ts-check
// Mints wrapped tokens the way an identity server does: a signed JWT whose payload names the region.
import { generateKeyPair, SignJWT } from 'jose';

/** @type {ReturnType<typeof generateKeyPair> | undefined} */
let keyPromise;

/**
 * @param {Record<string, unknown>} claims e.g. { zone: 'us' }
 * @param {{ size?: number }} [opts] size: roughly the token's length in bytes
 * @returns {Promise<string>}
 */
export async function mintWrappedToken(claims, opts = {}) {
  keyPromise = keyPromise || generateKeyPair('RS256');
  const { privateKey } = await keyPromise;
  /** @type {Record<string, unknown>} */
  const payload = { iss: 'https://login.example.com', sub: 'opaque-ref', ...claims };
  if (opts.size !== undefined) {
    // pad to roughly the requested token size with an opaque reference, as real wrapped tokens carry
    payload.ref = 'x'.repeat(Math.max(0, Math.floor(((opts.size - 400) * 3) / 4)));
  }
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', kid: 'test' })
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
}

/**
 * A wrapped token of exactly `length` characters: mintWrappedToken's, its opaque `ref` claim (and, where the
 * payload's base64url length can't land on it, the key id) padded until the whole token has that length.
 * @param {Record<string, unknown>} claims
 * @param {number} length at least 500
 * @returns {Promise<string>}
 */
export async function mintWrappedTokenOfLength(claims, length) {
  keyPromise = keyPromise || generateKeyPair('RS256');
  const { privateKey } = await keyPromise;
  for (let kid = 1; kid <= 4; kid++) {
    /** @param {number} n */
    const sign = function (n) {
      return new SignJWT({ iss: 'https://login.example.com', sub: 'opaque-ref', ...claims, ref: 'x'.repeat(n) })
        .setProtectedHeader({ alg: 'RS256', kid: 'k'.repeat(kid) })
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
    };
    const bare = (await sign(0)).length;
    // three bytes of payload make four characters: n bytes more make about 4n/3 characters more
    for (let n = Math.max(0, Math.floor(((length - bare) * 3) / 4) - 2); n <= ((length - bare) * 3) / 4 + 2; n++) {
      const token = await sign(n);
      if (token.length === length) return token;
    }
  }
  throw new Error('no wrapped token of exactly ' + length + ' characters');
}
