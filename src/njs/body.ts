// Form POSTs whose token nginx did not find (http.conf takes apart only the commonest messages): njs reads the
// body and takes the message's token field as the general path does. Imported lazily: only such POSTs build it.
import { parseForm } from '../core/form';
import { TokenField, tokenFields } from '../core/message';
import { Log } from './variables';

/** The request body as text; undefined when njs can't read it. */
export function readBody(r: NginxHTTPRequest): string | undefined {
  try {
    return r.requestText;
  } catch (e) {
    // njs before 0.8.10 can't read a body buffered to a temp file: route without it.
    r.warn(Log.Prefix + 'request body is buffered to a file, so it was not read; raise client_body_buffer_size');
    return undefined;
  }
}

/**
 * The message's token field (the first the general path would read), when it holds a compact JWS: the field,
 * the token's payload and its length. Undefined otherwise: the general path decides.
 */
export function firstToken(body: string): { field: TokenField; payload: string; length: number } | undefined {
  const form = parseForm(body);
  const field = tokenFields(form)[0];
  // As sent: a wrapped token needs no decoding, and any other value fails the checks below, leaving the
  // request to the general path, which decodes it.
  const token = field === undefined ? undefined : form.encoded(field);
  if (typeof token !== 'string') {
    return undefined;
  }
  const segments = token.split('.');
  if (segments.length !== 3 || !isSegment(segments[0]) || !isSegment(segments[1]) || !isSegment(segments[2])) {
    return undefined;
  }
  return { field: field, payload: segments[1], length: token.length };
}

/**
 * A non-empty run of the base64url alphabet. njs's Buffer, on either engine, stops at the first other character,
 * so such a segment is one that decodes to floor(length * 3 / 4) bytes: a fraction of a regex's cost
 * (docs/costs.md, "Form bodies nginx did not take apart").
 */
function isSegment(segment: string): boolean {
  const length = segment.length;
  return length > 0 && length % 4 !== 1 && Buffer.from(segment, 'base64url').length === (length * 3) >> 2;
}
