// The form POST fast path (js_content in @region_router_body, server.conf). The build wraps this module in a
// function that only form POSTs call: on the njs engine, a module's top level runs again for every request,
// and bearer requests need none of this.
import { readValue, Setting } from '../core/config';
import { commonWrappedToken, firstTokenField, TokenField } from '../core/message';
import { ClaimReading, readPayloadClaim, readRegionClaim } from '../core/wrapped-token';
import type * as General from './general';
import { routeTo } from './route';
import { Log, Variable } from './variables';

/** general.ts, built into a function by build/build.mjs. */
declare function loadGeneral(): typeof General;

// Under QuickJS a context serves many requests, so the general path is built once per context.
let general: typeof General | undefined;

declare const njs: { engine?: string };
// njs 0.8.6 and newer name their engine. QuickJS builds this module once per context; the njs engine once
// per form POST, where the lookup costs about 1.5k instructions.
const QUICKJS = njs.engine === 'QuickJS';

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
  // The field as sent: a token that reads as a wrapped token has no '%' or '+', so decoding would not change
  // it; any other value is left to the general path, which decodes it. On the njs engine one regular
  // expression answers the commonest messages and takes their token apart for about 50k instructions less
  // than firstTokenField's split and per-pair work and the token's own split, at every token size; QuickJS
  // runs a regex about four times slower per character than its split, so there firstTokenField reads every
  // body.
  const common = body && !QUICKJS ? commonWrappedToken(body) : undefined;
  const first = body && common === undefined ? firstTokenField(body) : undefined;
  if (common !== undefined || first !== undefined) {
    try {
      const claim = readValue(v, Setting.ClaimVariable, 'claim', Setting.DefaultClaim);
      const maxTokenBytes = readValue(v, Setting.MaxTokenBytesVariable, 'tokenBytes', Setting.DefaultMaxTokenBytes);
      let field: TokenField | undefined;
      let reading: ClaimReading | undefined;
      if (common !== undefined) {
        field = common.field;
        if (common.header.length + common.payload.length + common.signature.length + 2 <= maxTokenBytes) {
          reading = readPayloadClaim(common.payload, claim);
        }
      } else if (first !== undefined) {
        field = first.field;
        reading = readRegionClaim(first.encoded, claim, maxTokenBytes);
      }
      if (field !== undefined && reading !== undefined) {
        const continueAt = readValue(v, Setting.ContinueAtVariable, 'location', Setting.DefaultContinueAt);
        const found = routeTo(r, v, reading, field);
        if (found !== undefined) {
          v[Variable.Region] = found;
          v[Variable.Source] = field;
          r.internalRedirect(continueAt);
          return;
        }
      }
    } catch (e) {
      // a wrong setting: the general path logs it and fails closed
    }
  }
  (general || (general = loadGeneral())).routeBody(r, v, body);
}
