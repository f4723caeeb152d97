// The njs entry points. Each tries its fast path first: the request's wrapped token names a region of the table.
// nginx finds the token (a bearer token taken apart by gateway.conf, the token field of the commonest form POSTs
// found by http.conf), or for any other form body njs reads it (body.ts); then one decode of its payload answers.
// Any other request (no usable token, a wrong setting) takes the general path (general.ts), which weighs every
// source and logs why. A fast path answers only where the general path would give the same region, source and
// log lines.
import { Setting } from '../core/config';
import { TokenField } from '../core/message';
import { Notes, Source } from '../core/region';
import { claimOf, ON_NJS_ENGINE, Segment } from '../core/wrapped-token';
import { load as bodyPart } from 'lazy:./body';
import { load as generalPath } from 'lazy:./general';
import { load as occasional } from 'lazy:./occasional';
import { Log, Variable, Variables } from './variables';

/**
 * js_set $rr_js_region: requests that carry an Authorization header or an id_token_hint. A request the fast
 * path routes keeps the source nginx gives it, bearer (http.conf).
 */
export function region(r: NginxHTTPRequest): string {
  const v = r.variables;
  const payload = v[Variable.BearerPayload];
  // a token of at most its payload and two bounded segments (gateway.conf)
  const found = payload ? routeToken(r, v, payload, payload.length + 2 + 2 * Segment.Max, 'bearer') : undefined;
  return found !== undefined ? found : generalPath().region(r, v);
}

/**
 * js_content of @region_router_body (gateway.conf), for form POSTs: records the region in $region_router_region
 * and continues at the named location that proxies. The body stays with the request, byte for byte.
 */
export function routeBody(r: NginxHTTPRequest): void {
  const v = r.variables;
  const token = v[Variable.FormToken];
  let body: string | undefined;
  let found: string | undefined;
  let field: TokenField | undefined;
  if (token) {
    // nginx found "<field>.<payload>", of a token at most its payload and two bounded segments long
    const dot = token.indexOf('.');
    field = token.slice(0, dot) as TokenField;
    const payload = token.slice(dot + 1);
    found = routeToken(r, v, payload, payload.length + 2 + 2 * Segment.Max, field);
  } else {
    // a body nginx did not take apart: njs reads it (body.ts)
    body = bodyPart().readBody(r);
    const first = body === undefined ? undefined : bodyPart().firstToken(body);
    if (first !== undefined) {
      field = first.field;
      found = routeToken(r, v, first.payload, first.length, field);
    }
  }
  if (found !== undefined && field !== undefined) {
    try {
      const set = v[Setting.ContinueAtVariable];
      const continueAt =
        set === undefined
          ? Setting.ContinueAt
          : occasional().settingValue(set, Setting.ContinueAtVariable, 'location', Setting.ContinueAt);
      v[Variable.Region] = found;
      v[Variable.Source] = field;
      r.internalRedirect(continueAt);
      return;
    } catch (e) {
      // a wrong setting: the general path logs it and fails closed
    }
  }
  // no region from a token: the general path decides, from the body too
  generalPath().routeBody(r, v, token ? bodyPart().readBody(r) : body);
}

/**
 * The region of the table a wrapped token's payload names, found as the general path would find it and with
 * the log lines it would write; undefined to leave the request to the general path. `longest`: the most
 * characters the whole token can have. The steps: the settings, the token's claim, the table (with the region
 * cookie), what to log.
 */
function routeToken(
  r: NginxHTTPRequest,
  v: Variables,
  payload: string,
  longest: number,
  source: Source,
): string | undefined {
  // Settings left at their defaults, the common case, need no checking.
  let claim: string;
  let maxTokenBytes: number;
  try {
    const claimSet = v[Setting.ClaimVariable];
    const maxSet = v[Setting.MaxTokenBytesVariable];
    claim =
      claimSet === undefined
        ? Setting.Claim
        : occasional().settingValue(claimSet, Setting.ClaimVariable, 'claim', Setting.Claim);
    maxTokenBytes =
      maxSet === undefined
        ? Setting.MaxTokenBytes
        : occasional().settingValue(maxSet, Setting.MaxTokenBytesVariable, 'tokenBytes', Setting.MaxTokenBytes);
  } catch (e) {
    return undefined; // a wrong setting: the general path logs it and fails closed
  }
  // A token that may be over the limit: the general path measures it whole.
  if (longest > maxTokenBytes) {
    return undefined;
  }
  const name = claimOf(payload, claim);
  if (typeof name !== 'string') {
    return undefined;
  }
  // Until njs sets it, the table's key is the region cookie.
  const cookie = v[Variable.Candidate] || '';
  const cookieRegion = cookie === '' ? '' : lookUp(v, cookie, cookie);
  // A token that names what the cookie names (a browser's API call): the cookie's answer serves both.
  const region = name === cookie ? cookieRegion : lookUp(v, name, cookie);
  if (region === '') {
    v[Variable.Candidate] = cookie; // as the general path finds it
    return undefined;
  }
  if (cookie !== '' && cookieRegion === '') {
    r.log(Log.Prefix + Notes.CookieNotUsed);
  } else if (cookieRegion !== '' && cookieRegion !== region) {
    r.warn(Log.Prefix + occasional().disagreement(cookieRegion, source, region));
    v[Variable.Disagreement] = cookieRegion;
  }
  return region;
}

/**
 * The region the table gives a name, or '' (not a region name, or not in the table): njs sets the table's key
 * (unless it holds that name already, `key`), and nginx looks it up (http.conf's $rr_lookup).
 */
function lookUp(v: Variables, name: string, key: string): string {
  const kept = answers !== undefined ? answers.regions[name] : undefined;
  if (kept !== undefined) {
    return kept;
  }
  if (name !== key) {
    v[Variable.Candidate] = name;
  }
  const region = v[Variable.Lookup] || '';
  if (region !== '' && !ON_NJS_ENGINE) {
    answers = answers || { regions: Object.create(null) as Record<string, string>, count: 0 };
    if (answers.count < Answers.AtMost) {
      answers.regions[name] = region;
      answers.count++;
    }
  }
  return region;
}

// Under QuickJS a context serves many requests, and the table (a map of constants) answers a name the same way
// every time: its answers are kept per context, up to a bound, so that a stream of distinct names can't grow
// them. Not on the njs engine, whose every request starts from a fresh module (docs/costs.md, "The table").
let answers: { regions: Record<string, string>; count: number } | undefined;
const enum Answers {
  AtMost = 64,
}
