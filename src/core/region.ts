// Finds the home region of one request: request view -> sources -> region.
import { REGION_NAME, RouterConfig } from './config';
import { formDecode, parseForm } from './form';
import { TokenField, tokenFields } from './message';
import { readRegionClaim } from './wrapped-token';

/** What the router can see of a request. Every value is raw, as it came from the client. */
export interface RequestView {
  /** The Authorization header. */
  authorization?: string;
  /** The region cookie's value. */
  cookie?: string;
  /** The `id_token_hint` query argument, still URL-encoded. */
  idTokenHint?: string;
  /** The application/x-www-form-urlencoded body, when it was read. */
  form?: string;
}

/**
 * The region table: returns the configured region a candidate names, or undefined.
 * In nginx it is the user's `map $region_router_candidate $region_router_known`; a request value
 * is only ever looked up in it, never used as a host or upstream name.
 */
export type RegionTable = (candidate: string) => string | undefined;

export type Source = TokenField | 'bearer' | 'cookie' | 'default';

export interface Note {
  level: 'info' | 'warn';
  /** Safe to log: never contains a token or cookie value. */
  message: string;
}

/** The settings deciding needs. The default region may be read lazily (a getter): only a fallback uses it. */
export type RoutingSettings = Pick<RouterConfig, 'claim' | 'maxTokenBytes' | 'defaultRegion'>;

export interface Decision {
  region: string;
  source: Source;
  notes: Note[];
  /** The cookie's region, when it named another region than the token that routed. */
  cookieDisagrees?: string;
}

interface Candidate {
  source: Source;
  token: string;
}

const BEARER = /^[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9._~+/-]+=*) *$/; // RFC 6750 2.1, scheme case-insensitive

function lookUp(table: RegionTable, candidate: string): string | undefined {
  return REGION_NAME.test(candidate) ? table(candidate) : undefined;
}

/** Wrapped tokens of the request, in precedence order: the message's own field, then bearer, then id_token_hint. */
function tokenCandidates(view: RequestView, notes: Note[]): Candidate[] {
  const found: Candidate[] = [];
  if (view.form !== undefined && view.form.length > 0) {
    const form = parseForm(view.form);
    const fields = tokenFields(form);
    for (let i = 0; i < fields.length; i++) {
      const field = form.field(fields[i]);
      if (field.state === 'present') {
        found.push({ source: fields[i], token: field.value });
      } else if (field.state !== 'absent') {
        notes.push({ level: 'info', message: 'form field ' + fields[i] + ' is ' + field.state + '; not used' });
      }
    }
  }
  if (view.authorization !== undefined && view.authorization.length > 0) {
    const m = BEARER.exec(view.authorization);
    if (m !== null) {
      found.push({ source: 'bearer', token: m[1] });
    }
  }
  if (view.idTokenHint !== undefined && view.idTokenHint.length > 0) {
    const hint = formDecode(view.idTokenHint);
    if (hint !== undefined) {
      found.push({ source: 'id_token_hint', token: hint });
    } else {
      notes.push({ level: 'info', message: 'query argument id_token_hint is malformed; not used' });
    }
  }
  return found;
}

/** Notes the fast paths log too. */
export const enum Notes {
  /** A region cookie that names no region of the table. */
  CookieNotUsed = 'region cookie names no configured region; not used',
}

/** The warn note when the cookie and the token that routes disagree: region names only, no request content. */
export function disagreement(cookieRegion: string, source: Source, region: string): string {
  return 'cookie region ' + cookieRegion + ' differs from ' + source + ' region ' + region + '; routed by ' + source;
}

/**
 * Decides the region. A wrapped token names the home of that very grant, so it wins over the cookie;
 * a source whose value is malformed or not in the table is skipped with an info note. Never throws
 * on request input.
 */
export function decideRegion(view: RequestView, config: RoutingSettings, table: RegionTable): Decision {
  const notes: Note[] = [];
  // The cookie is looked up first: the table lookup may be stateful (nginx's probe variable).
  const cookieRegion = view.cookie !== undefined && view.cookie.length > 0 ? lookUp(table, view.cookie) : undefined;
  if (view.cookie !== undefined && view.cookie.length > 0 && cookieRegion === undefined) {
    notes.push({ level: 'info', message: Notes.CookieNotUsed });
  }

  const candidates = tokenCandidates(view, notes);
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    const reading = readRegionClaim(c.token, config.claim, config.maxTokenBytes);
    if (!reading.ok) {
      notes.push({ level: 'info', message: 'wrapped token in ' + c.source + ' ' + reading.reason + '; not used' });
      continue;
    }
    const region = lookUp(table, reading.region);
    if (region === undefined) {
      notes.push({ level: 'info', message: 'wrapped token in ' + c.source + ' names no configured region; not used' });
      continue;
    }
    if (cookieRegion !== undefined && cookieRegion !== region) {
      notes.push({ level: 'warn', message: disagreement(cookieRegion, c.source, region) });
      return { region: region, source: c.source, notes: notes, cookieDisagrees: cookieRegion };
    }
    return { region: region, source: c.source, notes: notes };
  }
  if (cookieRegion !== undefined) {
    return { region: cookieRegion, source: 'cookie', notes: notes };
  }
  return { region: config.defaultRegion, source: 'default', notes: notes };
}
