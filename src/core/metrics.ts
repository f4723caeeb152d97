// The routing counters: which counters one routed request adds to, and their Prometheus text exposition.
// Pure (no nginx): src/njs/metrics.ts counts with it at log phase and serves the page.
// Label values come only from the region table, the failover table and the router's own source names, so
// the number of counters is bounded by the configuration, never by what clients send.

/** What the router recorded of one request: the variables its access log shows. */
export interface RoutedRequest {
  /** $region_router_region: a value of the region table, or '' when a wrong setting failed the request. */
  region: string;
  /** $region_router_source: cookie, bearer, code, ..., default; '-' when no source was recorded. */
  source: string;
  /** $region_router_failover: '-', or the upstream of the failover table the request went to. */
  failover: string;
  /** $region_router_disagreement: '', or the cookie's region where it differed from the token's. */
  disagreement: string;
}

/** The zone and the counter families (a const enum: each value is written where it is used). */
export const enum Metrics {
  /** The js_shared_dict_zone that holds the counters (nginx/metrics-http.conf declares it). */
  Zone = 'region_router_metrics',
  Requests = 'region_router_requests_total',
  Failovers = 'region_router_failovers_total',
  Disagreements = 'region_router_disagreements_total',
}

/** A label as the text format writes it. Table values are names; a quote, backslash or newline would break the line. */
function label(name: string, value: string): string {
  const safe =
    value.indexOf('"') < 0 && value.indexOf('\\') < 0 && value.indexOf('\n') < 0
      ? value
      : value.replace(/["\\\n]/g, '_');
  return name + '="' + safe + '"';
}

/**
 * The shared-dictionary keys one request adds 1 to. A key is the counter as the exposition writes it
 * (`name{label="value",...}`), so serving needs no parsing. The region and the source are always
 * counted; a failover and a disagreement when there was one.
 */
export function counterKeys(request: RoutedRequest): string[] {
  const region = label('region', request.region);
  const keys = [Metrics.Requests + '{' + region + ',' + label('source', request.source) + '}'];
  if (request.failover !== '-' && request.failover !== '') {
    keys.push(Metrics.Failovers + '{' + region + ',' + label('upstream', request.failover) + '}');
  }
  if (request.disagreement !== '') {
    keys.push(
      Metrics.Disagreements +
        '{' +
        label('cookie_region', request.disagreement) +
        ',' +
        region +
        ',' +
        label('source', request.source) +
        '}',
    );
  }
  return keys;
}

/**
 * The Prometheus text exposition (format 0.0.4) of the counters: each family's HELP and TYPE lines, even
 * before it has a counter, then its counters sorted by labels.
 */
export function exposition(counters: [string, number][]): string {
  const families = [
    [Metrics.Requests, 'Requests by home region and the source that named it.'],
    [
      Metrics.Failovers,
      "Requests sent to another region's upstream (the failover table) while their own was unreachable.",
    ],
    [
      Metrics.Disagreements,
      'Requests whose region cookie named another region than their wrapped token; routed by the token.',
    ],
  ];
  const sorted = counters.slice().sort(function (a, b) {
    return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
  });
  let text = '';
  for (let f = 0; f < families.length; f++) {
    const name = families[f][0];
    text += '# HELP ' + name + ' ' + families[f][1] + '\n# TYPE ' + name + ' counter\n';
    for (let i = 0; i < sorted.length; i++) {
      if (sorted[i][0].indexOf(name + '{') === 0) {
        text += sorted[i][0] + ' ' + sorted[i][1] + '\n';
      }
    }
  }
  return text;
}
