// A wrapped token is a JWT whose payload carries the user's home region and nothing sensitive. Here it is
// decoded, not verified: the structure is checked (three non-empty base64url segments, a JSON object payload)
// and its length bounded. Routing only chooses which of your own regions handles a request; the identity
// server and the APIs verify every token.

export type ClaimReading = { ok: true; region: string } | { ok: false; reason: string };

/** The most characters the snippets' regexes take in a token's header or signature (gateway.conf, http.conf). */
export const enum Segment {
  Max = 1024,
}

/** Three non-empty runs of the base64url alphabet (no padding), joined by dots: the payload is the second. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+$/;

/**
 * Reads the region claim of a wrapped token. Never throws: every failure is a reason, and no reason contains
 * any part of the token, so reasons are safe to log.
 */
export function readRegionClaim(token: string, claim: string, maxTokenBytes: number): ClaimReading {
  if (token.length === 0) {
    return { ok: false, reason: 'is empty' };
  }
  if (token.length > maxTokenBytes) {
    return { ok: false, reason: 'is longer than $region_router_max_token_bytes' };
  }
  const jws = COMPACT_JWS.exec(token);
  if (jws === null) {
    return { ok: false, reason: NOT_JWT };
  }
  const region = claimOf(jws[1], claim);
  switch (region) {
    case Unreadable.NotBase64url:
      return { ok: false, reason: NOT_JWT };
    case Unreadable.NotObject:
      return { ok: false, reason: 'has a payload that is not a JSON object' };
    case Unreadable.NoClaim:
      return { ok: false, reason: 'has no region claim' };
    case Unreadable.NotString:
      return { ok: false, reason: 'has a region claim that is not a non-empty string' };
    default:
      return { ok: true, region: region };
  }
}

const NOT_JWT = 'is not a JWT (three base64url segments)';

/** Why a payload names no region: numbers, so that the fast paths build no object for it. */
export const enum Unreadable {
  NotBase64url,
  NotObject,
  NoClaim,
  NotString,
}

/**
 * The region claim of a wrapped token's payload segment, or why there is none. The segment must hold only the
 * base64url alphabet (readRegionClaim checks it; for the fast paths nginx's regexes or body.ts have).
 */
export function claimOf(segment: string, claim: string): string | Unreadable {
  // 1. The payload's bytes, a character each, by each runtime's cheapest decoder (docs/costs.md, "Decoding a
  // payload"). Every njs decoder stops at the first character it can't read, so a strict segment (no padding,
  // a length that whole bytes make) is one that decodes to exactly floor(length * 3 / 4) bytes.
  const bytes = (segment.length * 3) >> 2;
  if (segment.length % 4 === 1) {
    return Unreadable.NotBase64url;
  }
  let text: string | undefined;
  if (ON_NJS_ENGINE) {
    const bytesFrom = (String as unknown as BytesFrom).bytesFrom;
    if (bytesFrom !== undefined) {
      // njs 0.7.9
      text = bytesFrom(segment, 'base64url');
      if (text.length !== bytes) {
        return Unreadable.NotBase64url;
      }
    } else {
      // atob reads the standard alphabet: a segment with '-' or '_' (in ASCII JSON only where a '>', '?', '~' or
      // DEL ends a group of three bytes) makes it throw, and Buffer reads it below, as it does fewer bytes (an
      // njs whose atob drops an unpadded last group: nginx/njs issue 695). A character per byte where Buffer's
      // toString() decodes UTF-8: the claim is the same, as JSON's structure is ASCII and a byte above 0x7f can
      // stand only inside a string, where either way it makes no region name.
      try {
        text = atob(segment);
      } catch (e) {
        text = undefined;
      }
      if (text !== undefined && text.length !== bytes) {
        text = undefined;
      }
    }
  }
  if (text === undefined) {
    const decoded = Buffer.from(segment, 'base64url');
    if (decoded.length !== bytes) {
      return Unreadable.NotBase64url;
    }
    text = decoded.toString();
  }
  // 2. The payload: a JSON object.
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (e) {
    return Unreadable.NotObject;
  }
  // JSON text that opens with '{' is an object: only the rest is asked Array.isArray, a lookup of a built-in
  // (docs/costs.md, "Reading the claim").
  if (typeof payload !== 'object' || payload === null || (text[0] !== '{' && Array.isArray(payload))) {
    return Unreadable.NotObject;
  }
  // 3. The claim: a non-empty string, the payload's own member (nothing that objects inherit is a string).
  const value = (payload as Record<string, unknown>)[claim];
  if (typeof value === 'string' && value.length > 0) {
    return value;
  }
  return Object.prototype.hasOwnProperty.call(payload, claim) ? Unreadable.NotString : Unreadable.NoClaim;
}

/** njs 0.7.9's String.bytesFrom (gone in 0.8): decodes straight to a string, a character per byte. */
interface BytesFrom {
  bytesFrom?: (text: string, encoding: string) => string;
}

/**
 * True on the njs engine, false under QuickJS (and in Node). The njs engine compares strings by their UTF-8
 * bytes and QuickJS by UTF-16 units, so an astral character sorts after U+FFFF on the njs engine only: a test
 * that needs no lookup, which would cost every request there (docs/costs.md, "Telling the engines apart").
 */
export const ON_NJS_ENGINE = '\u{1F600}' > '\uFFFF';
