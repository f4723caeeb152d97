// The njs adapter's entry points. Each first tries the fast path: the request's first wrapped token (the
// bearer token, which nginx has already taken apart in gateway.conf, or the form field its message uses,
// which nginx finds in the body of the commonest messages, http.conf) names a region of the table. That
// answers nearly every token request with one decode of the token's payload and a handful of variable reads.
// Anything else (no usable token, a wrong setting, a body that could not be read) goes to the general path
// (general.ts), which decides from every source and logs why.
// The fast path answers only where the general path would give the same region, source and log lines.
import { Setting } from '../core/config';
import { TokenField } from '../core/message';
import { claimOf } from '../core/wrapped-token';
import { Bearer } from './bearer';
import { routeTo } from './route';
import { Variable } from './variables';

/**
 * js_set $region_router_js_region: requests that carry an Authorization header or an id_token_hint. A
 * request the fast path routes keeps the source nginx gives it, bearer (http.conf).
 */
export function region(r: NginxHTTPRequest): string {
  const v = r.variables;
  // Without a region cookie (API and back-channel requests), nginx hands over the payload with the news
  // that there is no cookie to compare the token with: one variable read fewer.
  let payload = v[Variable.BearerPayloadNoCookie];
  let cookie: string | undefined = '';
  if (!payload) {
    payload = v[Variable.BearerPayload];
    cookie = undefined;
  }
  if (payload) {
    try {
      // Unset settings (the common case) without a call; one that is set is read by occasional.ts.
      const claimSet = v[Setting.ClaimVariable];
      const claim =
        claimSet === undefined
          ? Setting.DefaultClaim
          : load('occasional').settingValue(claimSet, Setting.ClaimVariable, 'claim', Setting.DefaultClaim);
      const maxSet = v[Setting.MaxTokenBytesVariable];
      const maxTokenBytes =
        maxSet === undefined
          ? Setting.DefaultMaxTokenBytes
          : load('occasional').settingValue(
              maxSet,
              Setting.MaxTokenBytesVariable,
              'tokenBytes',
              Setting.DefaultMaxTokenBytes,
            );
      // gateway.conf bounds the header and the signature, so the payload's length nearly always answers.
      if (payload.length + 2 + 2 * Bearer.SegmentMax <= maxTokenBytes) {
        const name = claimOf(payload, claim, true);
        const found = typeof name === 'string' ? routeTo(r, v, name, 'bearer', cookie) : undefined;
        if (found !== undefined) {
          return found;
        }
      }
    } catch (e) {
      // a wrong setting: the general path logs it and fails closed
    }
  }
  return load('general').region(r, v);
}

/**
 * js_content for form POSTs (server.conf): njs reads the body here (a js_set handler runs before nginx reads
 * it), records the region in $region_router_region and continues at the named location that proxies. The
 * body stays with the request, byte for byte. For the commonest messages nginx has found the token field and
 * the payload in the body (http.conf), so njs need not read it; any other body: body.ts, built into
 * load('body') by build/build.mjs.
 */
export function routeBody(r: NginxHTTPRequest): void {
  const v = r.variables;
  // as in region() above: without a region cookie, nginx says so with the token
  let found = v[Variable.FormTokenNoCookie];
  let cookie: string | undefined = '';
  if (!found) {
    found = v[Variable.FormToken] || '';
    cookie = undefined;
  }
  let text: string | undefined;
  let read = false;
  try {
    // as in region() above: unset settings without a call
    const claimSet = v[Setting.ClaimVariable];
    const claim =
      claimSet === undefined
        ? Setting.DefaultClaim
        : load('occasional').settingValue(claimSet, Setting.ClaimVariable, 'claim', Setting.DefaultClaim);
    const maxSet = v[Setting.MaxTokenBytesVariable];
    const maxTokenBytes =
      maxSet === undefined
        ? Setting.DefaultMaxTokenBytes
        : load('occasional').settingValue(
            maxSet,
            Setting.MaxTokenBytesVariable,
            'tokenBytes',
            Setting.DefaultMaxTokenBytes,
          );
    let field: TokenField | undefined;
    let name: string | undefined;
    const dot = found.indexOf('.');
    // http.conf bounds the header and the signature, as gateway.conf does a bearer token's (region() above);
    // a longer token is measured whole by body.ts. The payload is what follows the dot.
    if (dot > 0 && found.length - dot - 1 + 2 + 2 * Bearer.SegmentMax <= maxTokenBytes) {
      field = found.slice(0, dot) as TokenField;
      const claimed = claimOf(found.slice(dot + 1), claim, true);
      if (typeof claimed === 'string') {
        name = claimed;
      }
    } else {
      const module = load('body');
      text = module.readBody(r);
      read = true;
      const first = text ? module.firstToken(text, claim, maxTokenBytes) : undefined;
      if (first !== undefined && first.reading.ok) {
        field = first.field;
        name = first.reading.region;
      }
    }
    if (field !== undefined && name !== undefined) {
      const continueSet = v[Setting.ContinueAtVariable];
      const continueAt =
        continueSet === undefined
          ? Setting.DefaultContinueAt
          : load('occasional').settingValue(
              continueSet,
              Setting.ContinueAtVariable,
              'location',
              Setting.DefaultContinueAt,
            );
      const region = routeTo(r, v, name, field, cookie);
      if (region !== undefined) {
        v[Variable.Region] = region;
        v[Variable.Source] = field;
        r.internalRedirect(continueAt);
        return;
      }
    }
  } catch (e) {
    // a wrong setting: the general path logs it and fails closed
  }
  if (!read) {
    text = load('body').readBody(r);
  }
  load('general').routeBody(r, v, text);
}
