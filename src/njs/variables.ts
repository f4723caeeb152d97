// What the adapter shares with the nginx snippets (nginx/http.conf and the user's region table), and how it logs.
import { Note } from '../core/region';

export const LOG_PREFIX = 'region_router: ';

// Variables the snippets declare.
/** The region table's key: njs sets it to look a value up; until then it is the region cookie. */
export const CANDIDATE = 'region_router_candidate';
/** The region table (a volatile map): the region the candidate names, or ''. */
export const KNOWN = 'region_router_known';
export const REGION = 'region_router_region';
export const SOURCE = 'region_router_source';
/** '-', or the upstream a request failed over to (unavailable.conf). */
export const FAILOVER = 'region_router_failover';
/** '', or the cookie's region where a wrapped token named another one (metrics and the access log). */
export const DISAGREEMENT = 'region_router_disagreement';
/** The segments of a bearer token shaped like a compact JWS, taken apart by nginx (gateway.conf); else ''. */
export const BEARER_HEADER = 'region_router_bearer_header';
export const BEARER_PAYLOAD = 'region_router_bearer_payload';
export const BEARER_SIGNATURE = 'region_router_bearer_signature';
/** The most characters gateway.conf takes in a bearer token's header or signature (`{1,1024}`). */
export const BEARER_SEGMENT_MAX = 1024;

export function logNotes(r: NginxHTTPRequest, notes: Note[]): void {
  for (let i = 0; i < notes.length; i++) {
    const note = notes[i];
    if (note.level === 'warn') {
      r.warn(LOG_PREFIX + note.message);
    } else {
      r.log(LOG_PREFIX + note.message);
    }
  }
}
