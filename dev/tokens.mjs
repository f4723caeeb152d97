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
