// A wrapped token is a JWT whose payload carries the user's home region and nothing sensitive. Here it is
// decoded, not verified: the structure is checked (three non-empty base64url segments, a JSON object payload)
// and sizes are bounded. Routing only chooses which of your own regions handles a request; the identity
// server and the APIs verify every token.

export type ClaimReading = { ok: true; region: string } | { ok: false; reason: string };

/** true in the njs bundle (build/njs-target.mjs defines it); undeclared in Node, where the unit tests run. */
declare const NJS_BUNDLE: boolean | undefined;

/** njs 0.7.9's String.bytesFrom (gone in 0.8): decodes straight to a string, without a Buffer and toString. */
interface BytesFrom {
  bytesFrom?: (text: string, encoding: string) => string;
}

// Looked up once per module instance, not per segment: each lookup costs on the njs engine.
const BYTES_FROM = (String as unknown as BytesFrom).bytesFrom;

/** How many bytes an njs decoder makes of a base64url text: it stops at the first foreign character. */
function decodedLength(segment: string): number {
  return BYTES_FROM !== undefined ? BYTES_FROM(segment, 'base64url').length : Buffer.from(segment, 'base64url').length;
}

/**
 * A non-empty run of the base64url alphabet: what the header and the signature must be. They are not
 * decoded: routing reads only the payload, and the identity server and the APIs verify the signature. In
 * njs the decoded length answers without a regex, except for a length of 4n+1, whose last character no
 * decoder reads.
 */
function isSegment(segment: string): boolean {
  const length = segment.length;
  if (typeof NJS_BUNDLE !== 'undefined' && length % 4 !== 1) {
    return length > 0 && decodedLength(segment) === (length * 3) >> 2;
  }
  return /^[A-Za-z0-9_-]+$/.test(segment);
}

const enum Reason {
  NotJwt = 'is not a JWT (three base64url segments)',
}

/**
 * Reads the region claim of a wrapped token. Never throws: every failure is a reason, and no reason
 * contains any part of the token, so reasons are safe to log.
 */
export function readRegionClaim(token: string, claim: string, maxTokenBytes: number): ClaimReading {
  if (token.length === 0) {
    return { ok: false, reason: 'is empty' };
  }
  if (token.length > maxTokenBytes) {
    return { ok: false, reason: 'is longer than $region_router_max_token_bytes' };
  }
  // One split: the cheapest pass over the token on both njs engines (a regex over the whole token costs
  // several times more under QuickJS).
  const segments = token.split('.');
  if (segments.length !== 3 || !isSegment(segments[0]) || !isSegment(segments[2])) {
    return { ok: false, reason: Reason.NotJwt };
  }
  return readPayloadClaim(segments[1], claim);
}

/** Why a payload names no region (claimOf): numbers, so that the fast paths build no object. */
export const enum Unreadable {
  NotJwt,
  NotObject,
  NoClaim,
  NotString,
}

/**
 * readRegionClaim for a token whose header and signature are known to be base64url segments and whose
 * length is within bounds (nginx checks both for a bearer token, gateway.conf): reads its payload segment.
 */
export function readPayloadClaim(segment: string, claim: string): ClaimReading {
  const region = claimOf(segment, claim, false);
  if (typeof region === 'string') {
    return { ok: true, region };
  }
  switch (region) {
    case Unreadable.NotJwt:
      return { ok: false, reason: Reason.NotJwt };
    case Unreadable.NotObject:
      return { ok: false, reason: 'has a payload that is not a JSON object' };
    case Unreadable.NoClaim:
      return { ok: false, reason: 'has no region claim' };
    default:
      return { ok: false, reason: 'has a region claim that is not a non-empty string' };
  }
}

/**
 * The region claim of a payload segment, or why there is none: readPayloadClaim without the object, which
 * costs the njs engine about 1.3k instructions per request. The fast paths use it directly. `alphabetChecked`:
 * the segment is known to hold only the base64url alphabet (nginx's regexes check it for the fast paths), so
 * it may be decoded with atob, which would also read '+' and '/'.
 */
export function claimOf(segment: string, claim: string, alphabetChecked: boolean): string | Unreadable {
  // The text of a strict base64url segment (alphabet A-Z a-z 0-9 - _, no padding). Every njs decoder stops at
  // the first other character (atob: but '+' and '/'; it throws, or skips a space), so a segment is strict
  // exactly when it decodes to floor(length * 3 / 4) bytes: that costs no extra pass over the token. Node's
  // decoder skips such characters instead, so outside the njs bundle the alphabet is checked first. Written
  // here rather than as a function of its own: a call costs the njs engine about 0.6k instructions.
  const length = segment.length;
  if (length === 0 || length % 4 === 1) {
    return Unreadable.NotJwt;
  }
  const bytes = (length * 3) >> 2;
  let text: string | undefined;
  if (typeof NJS_BUNDLE === 'undefined' && !isSegment(segment)) {
    return Unreadable.NotJwt;
  }
  if (BYTES_FROM !== undefined) {
    // a character per byte
    text = BYTES_FROM(segment, 'base64url');
    if (text.length !== bytes) {
      return Unreadable.NotJwt;
    }
  } else {
    // atob first on the njs engine (0.8 and later: 0.7.9 has BYTES_FROM), where it costs about half of
    // `Buffer.from` and `toString()`, whose UTF-8 decoding is the largest per-byte cost of a token request;
    // under QuickJS it costs more than they do. The njs engine compares strings by their UTF-8 bytes, QuickJS
    // by UTF-16 units, so an astral character sorts after U+FFFF only on the njs engine: that tells them apart
    // without looking anything up, which on the njs engine would cost every request (and for less than asking
    // its length, which also differs). Asked here, not once at the top level: a module-level binding costs the
    // njs engine on every request too. In Node (the unit tests) atob is used, so both decoders are tested.
    if (alphabetChecked && (typeof NJS_BUNDLE === 'undefined' || '\u{1F600}' > '\uFFFF')) {
      // atob reads the standard alphabet: a segment with '-' or '_' throws, and Buffer decodes it below. ASCII
      // JSON has them only where a '>', '?', '~' or DEL is the last byte of a group of three, so nearly every
      // payload decodes here. atob gives a character per byte (Latin-1) where toString() decodes UTF-8. The
      // claim is the same: JSON's structure is ASCII, and a byte above 0x7f, which can stand only inside a
      // JSON string, makes a character above 0x7f either way, so a claim with one names no region either way.
      try {
        text = atob(segment);
      } catch (e) {
        text = undefined;
      }
      // Fewer bytes: a space atob skipped, or an njs whose atob drops an unpadded last group (0.7.9's does,
      // and nginx/njs issue 695 reports it in 2024; 0.8.9's does not). Buffer decides.
      if (text !== undefined && text.length !== bytes) {
        text = undefined;
      }
    }
    if (text === undefined) {
      const decoded = Buffer.from(segment, 'base64url');
      if (decoded.length !== bytes) {
        return Unreadable.NotJwt;
      }
      text = decoded.toString();
    }
  }
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch (e) {
    payload = undefined;
  }
  // JSON text that opens with '{' is an object: Array.isArray, a lookup on a built-in that costs the njs engine
  // about 1k instructions per request, is needed only for the rest.
  if (typeof payload !== 'object' || payload === null || (text[0] !== '{' && Array.isArray(payload))) {
    return Unreadable.NotObject;
  }
  // A string here is the payload's own member: nothing that objects inherit is a string.
  const value = (payload as Record<string, unknown>)[claim];
  if (typeof value === 'string' && value.length > 0) {
    return value;
  }
  return Object.prototype.hasOwnProperty.call(payload, claim) ? Unreadable.NotString : Unreadable.NoClaim;
}
