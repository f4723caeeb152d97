// The form POST fast path (js_content in @region_router_body, server.conf). The build wraps this module in a
// function that only form POSTs call: on the njs engine, a module's top level runs again for every request,
// and bearer requests need none of this.
import { readValue, Setting } from '../core/config';
import { firstTokenField } from '../core/message';
import { readRegionClaim } from '../core/wrapped-token';
import type * as General from './general';
import { routeTo } from './route';
import { Log, Variable } from './variables';

/** general.ts, built into a function by build/build.mjs. */
declare function loadGeneral(): typeof General;

// Under QuickJS a context serves many requests, so the general path is built once per context.
let general: typeof General | undefined;

/**
 * js_content for form POSTs: njs reads the body here (a js_set handler runs before nginx reads it), records
 * the region in $region_router_region and continues at the named location that proxies. The body stays
 * with the request, byte for byte.
 */
export function routeBody(r: NginxHTTPRequest): void {
  const v = r.variables;
  let body: string | undefined;
  try {
    body = r.requestText;
  } catch (e) {
    // njs before 0.8.10 can't read a body buffered to a temp file: route without it.
    r.warn(Log.Prefix + 'request body is buffered to a file, so it was not read; raise client_body_buffer_size');
  }
  // The field as sent: a token that reads as a wrapped token has no '%' or '+', so decoding would not
  // change it; any other value is left to the general path, which decodes it.
  const first = body ? firstTokenField(body) : undefined;
  if (first !== undefined) {
    try {
      const reading = readRegionClaim(
        first.encoded,
        readValue(v, Setting.ClaimVariable, 'claim', Setting.DefaultClaim),
        readValue(v, Setting.MaxTokenBytesVariable, 'tokenBytes', Setting.DefaultMaxTokenBytes),
      );
      const continueAt = readValue(v, Setting.ContinueAtVariable, 'location', Setting.DefaultContinueAt);
      const found = routeTo(r, v, reading, first.field);
      if (found !== undefined) {
        v[Variable.Region] = found;
        v[Variable.Source] = first.field;
        r.internalRedirect(continueAt);
        return;
      }
    } catch (e) {
      // a wrong setting: the general path logs it and fails closed
    }
  }
  (general || (general = loadGeneral())).routeBody(r, v, body);
}
