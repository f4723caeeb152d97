// The metrics module, dist/region-router-metrics.js, apart from the router's bundle: only gateways that
// include nginx/metrics-http.conf import it, so the others pay nothing for it. It holds the two entry points
// and little else: every request enters it to be counted (docs/costs.md, "Metrics").
import { counterKeys, exposition, Metrics } from '../core/metrics';
import { Log, Variable } from './variables';

// Under QuickJS a context serves many requests: look the zone up once per context.
let zone: NgxSharedDict<number> | undefined;

/** The counters' zone; undefined (logged) when metrics-http.conf's js_shared_dict_zone is missing. */
function counters(r: NginxHTTPRequest): NgxSharedDict<number> | undefined {
  if (zone === undefined) {
    zone = ngx.shared[Metrics.Zone] as NgxSharedDict<number> | undefined;
    if (zone === undefined) {
      r.error(Log.Prefix + 'no js_shared_dict_zone ' + Metrics.Zone + ': include region-router/metrics-http.conf');
    }
  }
  return zone;
}

/**
 * js_set $region_router_count, read once per request at log phase by metrics-http.conf's access_log `if=`:
 * adds the request to its counters. Returns '' so that log never writes a line.
 */
function count(r: NginxHTTPRequest): string {
  const dict = counters(r);
  if (dict !== undefined) {
    const v = r.variables;
    const keys = counterKeys({
      region: v[Variable.Region] || '',
      source: v[Variable.Source] || '-',
      failover: v[Variable.Failover] || '-',
      disagreement: v[Variable.Disagreement] || '',
    });
    try {
      for (let i = 0; i < keys.length; i++) {
        dict.incr(keys[i], 1);
      }
    } catch (e) {
      // A full zone (SharedMemoryError): the counters stop growing, routing is not affected.
      r.error(Log.Prefix + 'counting failed: ' + (e as Error).message);
    }
  }
  return '';
}

/** js_content of metrics.conf: the counters as Prometheus text. */
function serve(r: NginxHTTPRequest): void {
  const dict = counters(r);
  if (dict === undefined) {
    r.return(500, 'region_router: no js_shared_dict_zone ' + Metrics.Zone + ' (include metrics-http.conf)\n');
    return;
  }
  r.headersOut['Content-Type'] = 'text/plain; version=0.0.4; charset=utf-8';
  r.headersOut['Cache-Control'] = 'no-store';
  r.return(200, exposition(dict.items(dict.size() + 64)));
}

export default { count, serve };
