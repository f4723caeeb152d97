// The njs adapter's entry points. Each first tries the fast path: the request's first wrapped token (the
// bearer token, which nginx has already taken apart in gateway.conf, or the form field its message uses)
// names a region of the table. That answers nearly every token request with one decode of the token's
// payload and a handful of variable reads. Anything else (no usable token, a wrong setting, a body that
// could not be read) goes to the general path (general.ts), which decides from every source and logs why.
// The fast path answers only where the general path would give the same region, source and log lines.
import {
  CLAIM_VARIABLE,
  CONTINUE_AT_VARIABLE,
  DEFAULT_CLAIM,
  DEFAULT_CONTINUE_AT,
  DEFAULT_MAX_TOKEN_BYTES,
  isRegionName,
  MAX_TOKEN_BYTES_VARIABLE,
  readValue,
} from '../core/config';
import { firstTokenField } from '../core/message';
import { COOKIE_NOT_USED, disagreement, Source } from '../core/region';
import { ClaimReading, readPayloadClaim, readRegionClaim } from '../core/wrapped-token';
import type * as General from './general';
import {
  BEARER_HEADER,
  BEARER_PAYLOAD,
  BEARER_SEGMENT_MAX,
  BEARER_SIGNATURE,
  CANDIDATE,
  DISAGREEMENT,
  KNOWN,
  LOG_PREFIX,
  REGION,
  SOURCE,
} from './variables';

/** general.ts, built into a function by build/build.mjs: called only by requests that need it. */
declare function loadGeneral(): typeof General;

type Variables = NginxHTTPRequest['variables'];

// Under QuickJS a context serves many requests, so the general path is built once per context; the njs
// engine starts every request from a fresh copy of the module.
let general: typeof General | undefined;

/**
 * The region a usable token reading names; undefined when the general path must decide (the token is
 * unusable or names no region of the table). Logs what the general path would log. The caller records the
 * source.
 */
function routeTo(r: NginxHTTPRequest, v: Variables, reading: ClaimReading, source: Source): string | undefined {
  if (!reading.ok || !isRegionName(reading.region)) {
    return undefined;
  }
  // Until njs sets it, the table's key is the region cookie.
  const cookie = v[CANDIDATE] || '';
  const cookieRegion = cookie !== '' && isRegionName(cookie) ? v[KNOWN] || '' : '';
  v[CANDIDATE] = reading.region;
  const region = v[KNOWN] || '';
  if (region === '') {
    v[CANDIDATE] = cookie;
    return undefined;
  }
  if (cookie !== '' && cookieRegion === '') {
    r.log(LOG_PREFIX + COOKIE_NOT_USED);
  } else if (cookieRegion !== '' && cookieRegion !== region) {
    r.warn(LOG_PREFIX + disagreement(cookieRegion, source, region));
    v[DISAGREEMENT] = cookieRegion;
  }
  return region;
}

/**
 * Whether a bearer token is within $region_router_max_token_bytes. gateway.conf bounds its header and its
 * signature, so the payload's length nearly always answers without reading them.
 */
function bearerWithin(v: Variables, payloadLength: number, maxTokenBytes: number): boolean {
  if (payloadLength + 2 + 2 * BEARER_SEGMENT_MAX <= maxTokenBytes) {
    return true;
  }
  return (v[BEARER_HEADER] || '').length + payloadLength + (v[BEARER_SIGNATURE] || '').length + 2 <= maxTokenBytes;
}

/**
 * js_set $region_router_js_region: requests that carry an Authorization header or an id_token_hint. A
 * request the fast path routes keeps the source nginx gives it, bearer (http.conf).
 */
function region(r: NginxHTTPRequest): string {
  const v = r.variables;
  const payload = v[BEARER_PAYLOAD];
  if (payload) {
    try {
      const claim = readValue(v, CLAIM_VARIABLE, 'claim', DEFAULT_CLAIM);
      const maxTokenBytes = readValue(v, MAX_TOKEN_BYTES_VARIABLE, 'tokenBytes', DEFAULT_MAX_TOKEN_BYTES);
      if (bearerWithin(v, payload.length, maxTokenBytes)) {
        const found = routeTo(r, v, readPayloadClaim(payload, claim), 'bearer');
        if (found !== undefined) {
          return found;
        }
      }
    } catch (e) {
      // a wrong setting: the general path logs it and fails closed
    }
  }
  return (general || (general = loadGeneral())).region(r, v);
}

/**
 * js_content for form POSTs: njs reads the body here (a js_set handler runs before nginx reads it), records
 * the region in $region_router_region and continues at the named location that proxies. The body stays
 * with the request, byte for byte.
 */
function routeBody(r: NginxHTTPRequest): void {
  const v = r.variables;
  let body: string | undefined;
  try {
    body = r.requestText;
  } catch (e) {
    // njs before 0.8.10 can't read a body buffered to a temp file: route without it.
    r.warn(LOG_PREFIX + 'request body is buffered to a file, so it was not read; raise client_body_buffer_size');
  }
  // The field as sent: a token that reads as a wrapped token has no '%' or '+', so decoding would not
  // change it; any other value is left to the general path, which decodes it.
  const first = body ? firstTokenField(body) : undefined;
  if (first !== undefined) {
    try {
      const reading = readRegionClaim(
        first.encoded,
        readValue(v, CLAIM_VARIABLE, 'claim', DEFAULT_CLAIM),
        readValue(v, MAX_TOKEN_BYTES_VARIABLE, 'tokenBytes', DEFAULT_MAX_TOKEN_BYTES),
      );
      const continueAt = readValue(v, CONTINUE_AT_VARIABLE, 'location', DEFAULT_CONTINUE_AT);
      const found = routeTo(r, v, reading, first.field);
      if (found !== undefined) {
        v[REGION] = found;
        v[SOURCE] = first.field;
        r.internalRedirect(continueAt);
        return;
      }
    } catch (e) {
      // a wrong setting: the general path logs it and fails closed
    }
  }
  (general || (general = loadGeneral())).routeBody(r, v, body);
}

export default { region, routeBody };
