// Finds the home region of one request: request view -> sources -> region.
import { isRegionName, RouterConfig } from './config';
import { formDecode, parseForm } from './form';
import { TokenField, tokenFields } from './message';
import { COMPACT_JWS, readMatchedRegionClaim, readRegionClaim, TokenVerifier } from './wrapped-token';

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

export interface Decision {
  region: string;
  source: Source;
  notes: Note[];
}

interface Candidate {
  source: Source;
  /** The token; '' when `matched` holds it. */
  token: string;
  /** The token's three segments at [1..3], when it was matched as a compact JWS while it was found. */
  matched?: string[];
}

const BEARER = /^[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9._~+\/-]+=*) *$/; // RFC 6750 2.1, scheme case-insensitive
// The common case in one scan: a bearer token that is a compact JWS (its alphabet is within BEARER's).
const BEARER_JWS = /^[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+) *$/;

function bearerToken(authorization: string): string | undefined {
  const m = BEARER.exec(authorization);
  return m === null ? undefined : m[1];
}

function lookUp(table: RegionTable, candidate: string): string | undefined {
  return isRegionName(candidate) ? table(candidate) : undefined;
}

/** Wrapped tokens of the request, in precedence order: the message's own field, then bearer, then id_token_hint. */
function tokenCandidates(view: RequestView, notes: Note[]): Candidate[] {
  const found: Candidate[] = [];
  if (view.form !== undefined && view.form.length > 0) {
    const form = parseForm(view.form);
    const fields = tokenFields(form);
    for (let i = 0; i < fields.length; i++) {
      // A value that is a compact JWS as sent has no '+' or '%': decoding would not change it.
      const encoded = form.encoded(fields[i]);
      const matched = typeof encoded === 'string' ? COMPACT_JWS.exec(encoded) : null;
      if (matched !== null) {
        found.push({ source: fields[i], token: '', matched: matched });
        continue;
      }
      const field = form.field(fields[i]);
      if (field.state === 'present') {
        found.push({ source: fields[i], token: field.value });
      } else if (field.state !== 'absent') {
        notes.push({ level: 'info', message: 'form field ' + fields[i] + ' is ' + field.state + '; not used' });
      }
    }
  }
  if (view.authorization !== undefined && view.authorization.length > 0) {
    const matched = BEARER_JWS.exec(view.authorization);
    if (matched !== null) {
      found.push({ source: 'bearer', token: '', matched: matched });
    } else {
      const bearer = bearerToken(view.authorization);
      if (bearer !== undefined) {
        found.push({ source: 'bearer', token: bearer });
      }
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

/**
 * Decides the region. A wrapped token names the home of that very grant, so it wins over the cookie;
 * a source whose value is malformed or not in the table is skipped with an info note. Never throws
 * on request input.
 */
export function decideRegion(
  view: RequestView,
  config: RouterConfig,
  table: RegionTable,
  verify?: TokenVerifier,
): Decision {
  const notes: Note[] = [];
  // The cookie is looked up first: the table lookup may be stateful (nginx's probe variable).
  const cookieRegion = view.cookie !== undefined && view.cookie.length > 0 ? lookUp(table, view.cookie) : undefined;
  if (view.cookie !== undefined && view.cookie.length > 0 && cookieRegion === undefined) {
    notes.push({ level: 'info', message: 'region cookie names no configured region; not used' });
  }

  const candidates = tokenCandidates(view, notes);
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i];
    const reading = c.matched !== undefined
      ? readMatchedRegionClaim(c.matched, config.claim, config.maxTokenBytes, verify)
      : readRegionClaim(c.token, config.claim, config.maxTokenBytes, verify);
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
      notes.push({
        level: 'warn',
        message: 'cookie region ' + cookieRegion + ' differs from ' + c.source + ' region ' + region + '; routed by ' + c.source,
      });
    }
    return { region: region, source: c.source, notes: notes };
  }
  if (cookieRegion !== undefined) {
    return { region: cookieRegion, source: 'cookie', notes: notes };
  }
  return { region: config.defaultRegion, source: 'default', notes: notes };
}
