// The thin njs adapter: reads the request view and configuration from nginx variables, asks the core,
// and hands the region back to nginx. No routing logic lives here.
import { DESCRIPTOR, readConfig, RouterConfig, variableName } from '../core/config';
import { Decision, decideRegion, Note, RegionTable, RequestView } from '../core/region';

const LOG_PREFIX = 'region_router: ';

// Variables shared with the nginx snippets (nginx/http.conf and the user's region table).
const CANDIDATE = 'region_router_candidate';
const KNOWN = 'region_router_known';
const REGION = 'region_router_region';
const SOURCE = 'region_router_source';
const DEFAULT_CONTINUE = DESCRIPTOR.continueAt.fallback as string;

function configOf(r: NginxHTTPRequest): RouterConfig {
  return readConfig(function (variable) {
    return r.variables[variable];
  });
}

/**
 * The region table is the user's `map $region_router_candidate $region_router_known { volatile; ... }`:
 * one list of regions for both the C cookie path and this one. Setting the candidate and reading the
 * (volatile) map looks a value up in it.
 */
function regionTable(r: NginxHTTPRequest): RegionTable {
  return function (candidate) {
    r.variables[CANDIDATE] = candidate;
    const known = r.variables[KNOWN];
    return known === undefined || known === '' ? undefined : known;
  };
}

function headerView(r: NginxHTTPRequest): RequestView {
  return {
    authorization: r.variables.http_authorization,
    // Until njs sets it, $region_router_candidate evaluates to the cookie named in the region table.
    cookie: r.variables[CANDIDATE],
    idTokenHint: r.variables.arg_id_token_hint,
  };
}

function log(r: NginxHTTPRequest, notes: Note[]): void {
  for (let i = 0; i < notes.length; i++) {
    const note = notes[i];
    if (note.level === 'warn') {
      r.warn(LOG_PREFIX + note.message);
    } else {
      r.log(LOG_PREFIX + note.message);
    }
  }
}

/** The configuration, or undefined after logging why it is unusable. */
function loadConfig(r: NginxHTTPRequest): RouterConfig | undefined {
  try {
    return configOf(r);
  } catch (e) {
    r.error(LOG_PREFIX + (e as Error).message);
    return undefined;
  }
}

/**
 * Decides, logs the notes and records the source. Undefined means a configuration error, already logged:
 * the request then fails closed rather than reach a region by guess.
 */
function decide(r: NginxHTTPRequest, view: RequestView, config: RouterConfig | undefined): Decision | undefined {
  if (config === undefined) {
    return undefined;
  }
  const table = regionTable(r);
  const decision = decideRegion(view, config, table);
  log(r, decision.notes);
  // Checked only when used, to keep the lookup off the common path.
  if (decision.source === 'default' && table(config.defaultRegion) === undefined) {
    r.error(LOG_PREFIX + '$' + variableName('defaultRegion') + ' "' + config.defaultRegion + '" is not in the region table ($' + KNOWN + ')');
    return undefined;
  }
  r.variables[SOURCE] = decision.source;
  return decision;
}

/** js_set $region_router_js_region: requests routed by headers and query (Authorization, id_token_hint, cookie). */
function region(r: NginxHTTPRequest): string {
  const decision = decide(r, headerView(r), loadConfig(r));
  return decision === undefined ? '' : decision.region;
}

/**
 * js_content for form POSTs: njs reads the body here (a js_set handler runs before nginx reads it),
 * records the region in $region_router_region and continues at the named location that proxies.
 * The body stays with the request, byte for byte.
 */
function routeBody(r: NginxHTTPRequest): void {
  const view = headerView(r);
  try {
    view.form = r.requestText;
  } catch (e) {
    // njs before 0.8.10 can't read a body buffered to a temp file: route without it.
    r.warn(LOG_PREFIX + 'request body is buffered to a file, so it was not read; raise client_body_buffer_size');
  }
  const config = loadConfig(r);
  const decision = decide(r, view, config);
  r.variables[REGION] = decision === undefined ? '' : decision.region;
  r.internalRedirect(config === undefined ? DEFAULT_CONTINUE : config.continueAt);
}

export default { region, routeBody };
