// Form POSTs whose token nginx did not find (handlers.ts routeBody): njs reads the body itself. The build puts
// this module into load('body') (loaders.d.ts), which only those call: on the njs engine, a module's top level
// runs again for every request, and the others need none of this.
import { firstTokenField, TokenField } from '../core/message';
import { ClaimReading, readRegionClaim } from '../core/wrapped-token';
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
 * The message's first token field and what its value reads as, found by njs in one pass over the body; undefined
 * when the body has none the fast path may use. The field as sent: a token that reads as a wrapped token has
 * no '%' or '+', so decoding would not change it; any other value is left to the general path, which
 * decodes it.
 */
export function firstToken(
  body: string,
  claim: string,
  maxTokenBytes: number,
): { field: TokenField; reading: ClaimReading } | undefined {
  const first = firstTokenField(body);
  return first === undefined
    ? undefined
    : { field: first.field, reading: readRegionClaim(first.encoded, claim, maxTokenBytes) };
}
