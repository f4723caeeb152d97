// What the fast paths share: recording the region a wrapped token names, as the general path would.
import { isRegionName } from '../core/config';
import { disagreement, Notes, Source } from '../core/region';
import { ClaimReading } from '../core/wrapped-token';
import { Log, Variable } from './variables';

export type Variables = NginxHTTPRequest['variables'];

/**
 * The region a usable token reading names; undefined when the general path must decide (the token is
 * unusable or names no region of the table). Logs what the general path would log. The caller records the
 * source.
 */
export function routeTo(r: NginxHTTPRequest, v: Variables, reading: ClaimReading, source: Source): string | undefined {
  if (!reading.ok || !isRegionName(reading.region)) {
    return undefined;
  }
  // Until njs sets it, the table's key is the region cookie.
  const cookie = v[Variable.Candidate] || '';
  const cookieRegion = cookie !== '' && isRegionName(cookie) ? v[Variable.Known] || '' : '';
  v[Variable.Candidate] = reading.region;
  const region = v[Variable.Known] || '';
  if (region === '') {
    v[Variable.Candidate] = cookie;
    return undefined;
  }
  if (cookie !== '' && cookieRegion === '') {
    r.log(Log.Prefix + Notes.CookieNotUsed);
  } else if (cookieRegion !== '' && cookieRegion !== region) {
    r.warn(Log.Prefix + disagreement(cookieRegion, source, region));
    v[Variable.Disagreement] = cookieRegion;
  }
  return region;
}
