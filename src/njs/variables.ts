// What the adapter shares with the nginx snippets (nginx/http.conf, gateway.conf and the user's region table),
// and how it logs. Names are a const enum: esbuild writes each where it is used.
import { Note } from '../core/region';

/** What njs gives of a request's nginx variables. */
export type Variables = NginxHTTPRequest['variables'];

export const enum Log {
  Prefix = 'region_router: ',
}

/** Variables of the snippets and the region table that njs reads or writes. */
export const enum Variable {
  /** The region table's key: njs sets it to look a name up; until then it is the region cookie. */
  Candidate = 'region_router_candidate',
  /** The region table (a volatile map): the region the candidate names, or ''. */
  Known = 'region_router_known',
  /** Known when the candidate is a region name, else '' (http.conf): how the fast paths look a name up. */
  Lookup = 'rr_lookup',
  Region = 'region_router_region',
  Source = 'region_router_source',
  /** The gateway a server {} names itself in the failover table (`set $region_router_gateway identity;`). */
  Gateway = 'region_router_gateway',
  /** '-', or the upstream a request failed over to (gateway.conf). */
  Failover = 'region_router_failover',
  /** '', or the cookie's region where a wrapped token named another one (metrics and the access log). */
  Disagreement = 'region_router_disagreement',
  /** "plain" or "token" (gateway.conf sets it); '' in a server without gateway.conf. */
  Headers = 'rr_headers',
  /** The payload of a bearer token shaped like a compact JWS, taken apart by gateway.conf; else ''. */
  BearerPayload = 'rr_bearer',
  /** A form POST's token field and payload, "<field>.<payload>", for the commonest messages (http.conf); else ''. */
  FormToken = 'rr_form_token',
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
