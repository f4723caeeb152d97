// The general path of the njs adapter: every request the fast paths (handlers.ts) do not answer on their
// own. It reads the request view from nginx variables, asks the core and logs its notes. Settings are read
// when a request needs them, so a wrong setting fails only the requests it concerns (closed, with an error
// line naming the variable). handlers.ts imports it lazily (`lazy:./general`): it is built only for the
// requests that take it.
import { readSetting, SETTINGS } from '../core/config';
import { Decision, decideRegion, RegionTable, RequestView, RoutingSettings } from '../core/region';
import { Log, Variable, Variables, logNotes } from './variables';

function regionTable(v: Variables): RegionTable {
  return function (candidate) {
    v[Variable.Candidate] = candidate;
    const known = v[Variable.Known];
    return known === undefined || known === '' ? undefined : known;
  };
}

function headerView(v: Variables): RequestView {
  return {
    authorization: v.http_authorization,
    // Until njs sets it, $region_router_candidate evaluates to the cookie named in the region table.
    cookie: v[Variable.Candidate],
    idTokenHint: v.arg_id_token_hint,
  };
}

/** The settings deciding needs; the default region is read only when a request falls back to it. */
function settings(v: Variables): RoutingSettings {
  return {
    claim: readSetting(v, 'claim'),
    maxTokenBytes: readSetting(v, 'maxTokenBytes'),
    get defaultRegion(): string {
      return readSetting(v, 'defaultRegion');
    },
  };
}

/**
 * Decides, logs the notes and records the source. Undefined means a wrong setting, already logged: the
 * request then fails closed rather than reach a region by guess.
 */
function decide(r: NginxHTTPRequest, v: Variables, view: RequestView): Decision | undefined {
  const decision = decideOrFail(r, v, view);
  // Set either way: nginx's own default source (http.conf) is the bearer fast path's.
  v[Variable.Source] = decision === undefined ? '-' : decision.source;
  return decision;
}

function decideOrFail(r: NginxHTTPRequest, v: Variables, view: RequestView): Decision | undefined {
  const table = regionTable(v);
  let decision: Decision;
  try {
    decision = decideRegion(view, settings(v), table);
  } catch (e) {
    r.error(Log.Prefix + (e as Error).message);
    return undefined;
  }
  logNotes(r, decision.notes);
  // Checked only when used, to keep the lookup off the common path.
  if (decision.source === 'default' && table(decision.region) === undefined) {
    r.error(
      Log.Prefix +
        '$' +
        SETTINGS.defaultRegion.variable +
        ' "' +
        decision.region +
        '" is not in the region table ($' +
        Variable.Known +
        ')',
    );
    return undefined;
  }
  if (decision.cookieDisagrees !== undefined) {
    v[Variable.Disagreement] = decision.cookieDisagrees;
  }
  return decision;
}

/** js_set $rr_js_region: requests routed by headers and query (Authorization, id_token_hint, cookie). */
export function region(r: NginxHTTPRequest, v: Variables): string {
  if (v[Variable.Headers] === '' && v[Variable.Gateway]) {
    // A gateway's server {} (it names itself in the failover table) without gateway.conf, which sets $rr_headers:
    // routing works, but every request enters njs, cookie requests too. Other servers' requests reach here only
    // to be counted (metrics-http.conf), and are not gateways.
    r.error(Log.Prefix + 'this server {} does not include region-router/gateway.conf: every request enters njs');
  }
  const decision = decide(r, v, headerView(v));
  return decision === undefined ? '' : decision.region;
}

/**
 * js_content for form POSTs the fast paths did not route: records the region in $region_router_region and
 * continues at the named location that proxies. `body` is undefined when it could not be read. The body stays
 * with the request, byte for byte.
 */
export function routeBody(r: NginxHTTPRequest, v: Variables, body: string | undefined): void {
  let continueAt: string;
  try {
    continueAt = readSetting(v, 'continueAt');
  } catch (e) {
    r.error(Log.Prefix + (e as Error).message);
    v[Variable.Region] = '';
    r.internalRedirect(SETTINGS.continueAt.fallback as string);
    return;
  }
  const view = headerView(v);
  view.form = body;
  const decision = decide(r, v, view);
  v[Variable.Region] = decision === undefined ? '' : decision.region;
  r.internalRedirect(continueAt);
}
