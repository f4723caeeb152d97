// What the fast paths share: recording the region a wrapped token names, as the general path would.
import { Notes, Source } from '../core/region';
import type { Lookups } from './occasional';
import { Log, Variable } from './variables';

export type Variables = NginxHTTPRequest['variables'];

// Region table lookups that found a region (occasional.ts). Under QuickJS a context serves many requests, and
// the table (a map of constants in http {}) answers a name the same way every time, so each name is looked up
// in nginx once per context. The njs engine starts every request from a fresh copy of the module, where
// `lookups` never gets past `true` and nothing is kept. One module-level binding: the njs engine makes each
// again for every request.
/** undefined until this copy of the module has routed a request; then true; then the lookups. */
let lookups: Lookups | true | undefined;

/**
 * The region of the table that `name`, a wrapped token's region claim, names; undefined when the general path
 * must decide (it names no region of the table). Logs what the general path would log. The caller records the
 * source. `cookie` is the region cookie, '' when the request has none; undefined reads it.
 */
export function routeTo(
  r: NginxHTTPRequest,
  v: Variables,
  name: string,
  source: Source,
  cookie?: string,
): string | undefined {
  if (cookie === undefined) {
    // Until njs sets it, the table's key is the region cookie.
    cookie = v[Variable.Candidate] || '';
  }
  let cookieRegion = '';
  if (cookie !== '') {
    const hit = typeof lookups === 'object' ? lookups.regions[cookie] : undefined;
    if (hit !== undefined) {
      cookieRegion = hit;
    } else {
      cookieRegion = v[Variable.Lookup] || '';
      if (cookieRegion !== '' && lookups !== undefined) {
        lookups = load('occasional').remember(lookups, cookie, cookieRegion);
      }
    }
    if (cookieRegion !== '' && name === cookie) {
      // The token names what the cookie names (a browser's API call): nginx has just answered for it.
      if (lookups === undefined) {
        lookups = true;
      }
      return cookieRegion;
    }
  }
  let region = typeof lookups === 'object' ? lookups.regions[name] : undefined;
  if (region === undefined) {
    v[Variable.Candidate] = name;
    region = v[Variable.Lookup] || '';
    if (region === '') {
      v[Variable.Candidate] = cookie;
      return undefined;
    }
    if (lookups !== undefined) {
      lookups = load('occasional').remember(lookups, name, region);
    }
  }
  if (lookups === undefined) {
    lookups = true;
  }
  if (cookie !== '' && cookieRegion === '') {
    r.log(Log.Prefix + Notes.CookieNotUsed);
  } else if (cookieRegion !== '' && cookieRegion !== region) {
    r.warn(Log.Prefix + load('occasional').disagreement(cookieRegion, source, region));
    v[Variable.Disagreement] = cookieRegion;
  }
  return region;
}
