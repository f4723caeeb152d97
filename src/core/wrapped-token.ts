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

// Three non-empty base64url segments, matched in one pass: on njs 0.7.9 every scan of a 1 KB string
// (indexOf, slice, regex) costs microseconds, so a token is scanned once (bench/README.md).
export const COMPACT_JWS = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;

/**
 * The segments of a token, as matched by COMPACT_JWS (or a pattern that ends like it) at m[1..3].
 * Undefined when a segment can't be base64url: length % 4 == 1 comes from no byte sequence.
 */
function segments(m: string[]): WrappedToken | undefined {
  if (m[1].length % 4 === 1 || m[2].length % 4 === 1 || m[3].length % 4 === 1) {
    return undefined;
  }
  return { header: m[1], payload: m[2], signature: m[3] };
}

/** Splits a compact JWS into exactly three non-empty base64url segments. */
export function splitToken(token: string): WrappedToken | undefined {
  const m = COMPACT_JWS.exec(token);
  return m === null ? undefined : segments(m);
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

function tooLong(): ClaimReading {
  return { ok: false, reason: 'is longer than $region_router_max_token_bytes' };
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
    return tooLong();
  }
  return readClaim(splitToken(token), claim, verify);
}

/**
 * readRegionClaim for a token its caller already matched: m[1..3] are its three segments, as
 * COMPACT_JWS captures them (the bearer and form paths match the token while finding it).
 */
export function readMatchedRegionClaim(
  m: string[],
  claim: string,
  maxTokenBytes: number,
  verify?: TokenVerifier,
): ClaimReading {
  if (m[1].length + m[2].length + m[3].length + 2 > maxTokenBytes) {
    return tooLong();
  }
  return readClaim(segments(m), claim, verify);
}

function readClaim(parts: WrappedToken | undefined, claim: string, verify?: TokenVerifier): ClaimReading {
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
