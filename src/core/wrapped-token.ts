// A wrapped token is a JWT whose payload carries the user's home region and nothing sensitive.
// Here it is decoded, not verified: the structure is checked and sizes are bounded. Verification plugs in
// through `TokenVerifier` without touching the callers.

/** The three segments of a compact JWS, still base64url-encoded. */
export interface WrappedToken {
  header: string;
  payload: string;
  signature: string;
}

/** The seam for signature verification: return false to refuse the token as a region source. */
export type TokenVerifier = (token: WrappedToken) => boolean;

export type ClaimReading =
  | { ok: true; region: string }
  | { ok: false; reason: string };

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const segmentIsBase64url = function (s: string): boolean {
  // length % 4 == 1 can't come from any byte sequence
  return s.length % 4 !== 1 && BASE64URL.test(s);
};

/** Splits a compact JWS into exactly three non-empty base64url segments. */
export function splitToken(token: string): WrappedToken | undefined {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  if (first <= 0 || second <= first + 1 || second === token.length - 1 || token.indexOf('.', second + 1) >= 0) {
    return undefined;
  }
  const parts: WrappedToken = {
    header: token.slice(0, first),
    payload: token.slice(first + 1, second),
    signature: token.slice(second + 1),
  };
  if (!segmentIsBase64url(parts.header) || !segmentIsBase64url(parts.payload) || !segmentIsBase64url(parts.signature)) {
    return undefined;
  }
  return parts;
}

function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString());
  } catch (e) {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return undefined;
  }
  return value as Record<string, unknown>;
}

/**
 * Reads the region claim of a wrapped token. Never throws: every failure is a reason, and no reason
 * contains any part of the token, so reasons are safe to log.
 */
export function readRegionClaim(
  token: string,
  claim: string,
  maxTokenBytes: number,
  verify?: TokenVerifier,
): ClaimReading {
  if (token.length === 0) {
    return { ok: false, reason: 'is empty' };
  }
  if (token.length > maxTokenBytes) {
    return { ok: false, reason: 'is longer than $region_router_max_token_bytes' };
  }
  const parts = splitToken(token);
  if (parts === undefined) {
    return { ok: false, reason: 'is not a JWT (three base64url segments)' };
  }
  const payload = decodeJsonObject(parts.payload);
  if (payload === undefined) {
    return { ok: false, reason: 'has a payload that is not a JSON object' };
  }
  const value = Object.prototype.hasOwnProperty.call(payload, claim) ? payload[claim] : undefined;
  if (value === undefined) {
    return { ok: false, reason: 'has no region claim' };
  }
  if (typeof value !== 'string' || value.length === 0) {
    return { ok: false, reason: 'has a region claim that is not a non-empty string' };
  }
  if (verify !== undefined && !verify(parts)) {
    return { ok: false, reason: 'failed signature verification' };
  }
  return { ok: true, region: value };
}
