// What the adapter shares with the nginx snippets (nginx/http.conf and the user's region table), and how it logs.
// Constants are const enums: esbuild writes their values where they are used, so the bundle has no
// module-level binding for them, which the njs engine would create again for every request.
import { Note } from '../core/region';

export const enum Log {
  Prefix = 'region_router: ',
}

/**
 * Variables the snippets declare. The three that njs reads on every token request have short names ($rr_*):
 * njs and nginx hash a variable's name on every read, about 20-30 instructions a character.
 */
export const enum Variable {
  /** The region table's key: njs sets it to look a value up; until then it is the region cookie. */
  Candidate = 'region_router_candidate',
  /** The region table (a volatile map): the region the candidate names, or ''. */
  Known = 'region_router_known',
  /** Known when the candidate is a region name (isRegionName), else '' (http.conf): what the fast paths read. */
  Lookup = 'rr_lookup',
  Region = 'region_router_region',
  Source = 'region_router_source',
  /** '-', or the upstream a request failed over to (unavailable.conf). */
  Failover = 'region_router_failover',
  /** '', or the cookie's region where a wrapped token named another one (metrics and the access log). */
  Disagreement = 'region_router_disagreement',
  /** The payload of a bearer token shaped like a compact JWS, taken apart by nginx (gateway.conf); else ''. */
  BearerPayload = 'rr_bearer_payload',
  /** BearerPayload when the request has no region cookie, else '' (http.conf): saves the fast path a cookie read. */
  BearerPayloadNoCookie = 'rr_bearer',
  /** A form POST's token field and payload, "<field>.<payload>", for the commonest messages (http.conf); else ''. */
  FormToken = 'rr_form_token',
  /** FormToken when the request has no region cookie, else '' (http.conf): saves the fast path a cookie read. */
  FormTokenNoCookie = 'rr_form',
}

export function logNotes(r: NginxHTTPRequest, notes: Note[]): void {
  for (let i = 0; i < notes.length; i++) {
    const note = notes[i];
    if (note.level === 'warn') {
      r.warn(Log.Prefix + note.message);
    } else {
      r.log(Log.Prefix + note.message);
    }
  }
}
