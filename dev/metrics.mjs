// @ts-check
// The router's metrics as the suites read them: the metrics includes added to a rendered example where the
// runtime has a shared dictionary (njs 0.8+), the counters scraped from its /metrics, and on njs 0.7.9 the
// same figures from the access log by the recipe docs/configuration.md gives (run as written there, by sh and awk).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.mjs';

/** @typedef {Record<string, number>} Counters counter (`name{label="value",...}`) -> value */

/**
 * http {} lines for renderExample's `http` option: the counting include and a server serving /metrics at
 * `at` (metrics.conf), as the README wires them.
 * @param {import('./ports.mjs').Endpoint} at
 */
export function metricsConf(at) {
  const nginx = join(ROOT, 'nginx');
  return (
    'include ' +
    join(nginx, 'metrics-http.conf') +
    ';\n    server { listen ' +
    at.host +
    ':' +
    at.port +
    '; include ' +
    join(nginx, 'metrics.conf') +
    '; }'
  );
}

/**
 * The samples of a Prometheus text page (or of the recipe's output, which has the same lines).
 * @param {string} text
 * @returns {Counters}
 */
export function parseCounters(text) {
  /** @type {Counters} */
  const out = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+\{[^}]*\}) (\d+)$/.exec(line);
    if (!m) throw new Error('not a counter line: ' + JSON.stringify(line));
    out[m[1]] = Number(m[2]);
  }
  return out;
}

/**
 * The counters a gateway serves at `at` (/metrics), checking the exposition's content type.
 * @param {import('./ports.mjs').Endpoint} at
 * @returns {Promise<Counters>}
 */
export async function scrapeCounters(at) {
  const res = await fetch('http://' + at.host + ':' + at.port + '/metrics');
  const text = await res.text();
  if (res.status !== 200) throw new Error('/metrics answered ' + res.status + ': ' + text);
  const type = res.headers.get('content-type') || '';
  if (!type.startsWith('text/plain; version=0.0.4')) throw new Error('/metrics has content type ' + type);
  return parseCounters(text);
}

/** The access-log recipe of docs/configuration.md: the shell text between its metrics-recipe markers. */
export function documentedRecipe() {
  const doc = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
  const m = /<!-- metrics-recipe:start -->\s*```sh\n([\s\S]*?)```\s*<!-- metrics-recipe:end -->/.exec(doc);
  if (!m) throw new Error('docs/configuration.md has no ```sh block between <!-- metrics-recipe:start/end --> markers');
  return m[1];
}

/**
 * The figures the documented recipe gives for `log` (region_router access-log lines): run by this machine's
 * sh and awk over a file holding them, in place of its /var/log/nginx/access.log.
 * @param {string} logFile
 * @returns {Counters}
 */
export function recipeCounters(logFile) {
  const recipe = documentedRecipe();
  if (!recipe.includes('/var/log/nginx/access.log'))
    throw new Error('the recipe of docs/configuration.md no longer reads /var/log/nginx/access.log');
  const r = spawnSync('sh', ['-c', recipe.split('/var/log/nginx/access.log').join('"$1"'), 'recipe', logFile], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error('the recipe of docs/configuration.md failed: ' + r.stderr);
  return parseCounters(r.stdout);
}

/**
 * What was counted between two readings: the counters that grew, by how much.
 * @param {Counters} before
 * @param {Counters} after
 * @returns {Counters}
 */
export function countedSince(before, after) {
  /** @type {Counters} */
  const out = {};
  for (const k of Object.keys(after)) {
    const n = after[k] - (before[k] || 0);
    if (n !== 0) out[k] = n;
  }
  return out;
}

/**
 * The expected counters, from what a suite sent: one request of `region`, named by `source`, with the
 * cookie's region where it disagreed and the upstream it failed over to. Written out here, not taken from
 * the counting code (src/core/metrics.ts), so that the two are checked against each other.
 */
export function expectedCounters() {
  /** @type {Counters} */
  const counters = {};
  /** @param {string} key */
  const add = function (key) {
    counters[key] = (counters[key] || 0) + 1;
  };
  return {
    counters,
    /** @param {{ region: string, source: string, disagreement?: string, failover?: string }} request */
    request(request) {
      add('region_router_requests_total{region="' + request.region + '",source="' + request.source + '"}');
      if (request.failover)
        add('region_router_failovers_total{region="' + request.region + '",upstream="' + request.failover + '"}');
      if (request.disagreement)
        add(
          'region_router_disagreements_total{cookie_region="' +
            request.disagreement +
            '",region="' +
            request.region +
            '",source="' +
            request.source +
            '"}',
        );
    },
  };
}
