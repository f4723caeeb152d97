// @ts-check
// A real Prometheus (Debian's package: /usr/bin/prometheus, installed by scripts/setup.sh) scraping the
// gateways' /metrics, and its HTTP API read back: the suites check that what Prometheus stored equals what
// their cases sent. startPrometheus() runs one on 127.0.0.1:<free port> with a config it writes (every
// target scraped each second, storage in a temp dir, no other listener) and stops it; prometheusApi(url)
// is the client part, usable from another process than the one that started it (vitest's test files).
//
// Prometheus applies its first targets only at its scrape manager's first reload, 5 s after it starts: start
// it as early as the targets' addresses are known, and the first scrape is there by the time it is needed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countedSince } from './metrics.mjs';
import { freePort } from './ports.mjs';

/** Debian's package puts the server here. */
export const PROMETHEUS = '/usr/bin/prometheus';

/** The job every target is scraped under; each target also gets the label `target` with its name. */
export const JOB = 'region_router';

/** The labels Prometheus adds to what a target exposes. */
const ADDED_LABELS = ['job', 'instance', 'target'];

/**
 * @typedef {import('./ports.mjs').Endpoint} Endpoint
 * @typedef {import('./metrics.mjs').Counters} Counters
 * @typedef {{ metric: Record<string, string>, values: [number, string][] }} RangeSeries
 * @typedef {{ labels: Record<string, string>, scrapeUrl: string, health: string, lastError: string,
 *   lastScrape: string }} ActiveTarget
 * @typedef {object} Scrape what Prometheus stored from one scrape of a target
 * @property {number} at the scrape's timestamp (ms; Prometheus takes it as the scrape starts)
 * @property {Counters} counters its samples, keyed like dev/metrics.mjs (`name{label="value",...}`, labels in
 *   name order, without the labels Prometheus adds)
 * @property {number} samplesScraped Prometheus's scrape_samples_scraped for it: the lines it parsed
 */

/**
 * The installed Prometheus's version (`prometheus --version`: "2.42.0+ds"); throws if there is none.
 * @param {string} [binary]
 */
export function prometheusVersion(binary = PROMETHEUS) {
  if (!existsSync(binary))
    throw new Error(
      'prometheus is not installed (no ' +
        binary +
        "): run scripts/setup.sh, which installs Debian's prometheus package",
    );
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  const m = /prometheus, version (\S+)/.exec((r.stdout || '') + (r.stderr || ''));
  if (r.status !== 0 || !m) throw new Error(binary + ' --version failed: ' + (r.stderr || r.stdout || r.error));
  return m[1];
}

/**
 * A counter key with its labels in name order, so that keys written in any label order compare equal.
 * @param {string} key `name{label="value",...}`
 */
export function canonicalKey(key) {
  const m = /^([^{]+)\{(.*)\}$/.exec(key);
  if (!m) return key;
  const labels = m[2] === '' ? [] : m[2].match(/[A-Za-z_][A-Za-z0-9_]*="(?:[^"\\]|\\.)*"/g) || [];
  return m[1] + '{' + labels.slice().sort().join(',') + '}';
}

/**
 * The same counters keyed by canonicalKey.
 * @param {Counters} counters
 * @returns {Counters}
 */
export function canonicalCounters(counters) {
  /** @type {Counters} */
  const out = {};
  for (const k of Object.keys(counters)) out[canonicalKey(k)] = (out[canonicalKey(k)] || 0) + counters[k];
  return out;
}

/**
 * The key of a series Prometheus returned, without the labels it added.
 * @param {Record<string, string>} metric
 */
function keyOf(metric) {
  const labels = Object.keys(metric)
    .filter(function (l) {
      return l !== '__name__' && ADDED_LABELS.indexOf(l) < 0;
    })
    .sort()
    .map(function (l) {
      return l + '="' + metric[l].replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') + '"';
    });
  return metric.__name__ + '{' + labels.join(',') + '}';
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise(function (r) {
    setTimeout(r, ms);
  });
}

/**
 * The client: Prometheus's HTTP API at `url`.
 * @param {string} url e.g. http://127.0.0.1:9090
 */
export function prometheusApi(url) {
  /**
   * GET /api/v1/<path>; the answer's `data`, or an error with Prometheus's own message.
   * @param {string} path
   * @param {Record<string, string>} params
   * @returns {Promise<any>}
   */
  const get = async function (path, params) {
    const res = await fetch(url + '/api/v1/' + path + '?' + new URLSearchParams(params), {
      signal: AbortSignal.timeout(10000),
    });
    const text = await res.text();
    /** @type {any} */
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error('Prometheus /api/v1/' + path + ' answered ' + res.status + ': ' + text.slice(0, 300));
    }
    if (body.status !== 'success')
      throw new Error(
        'Prometheus /api/v1/' + path + ' ' + JSON.stringify(params) + ': ' + body.errorType + ': ' + body.error,
      );
    return body.data;
  };

  /** @returns {Promise<ActiveTarget[]>} */
  const targets = async function () {
    return (await get('targets', { state: 'active' })).activeTargets;
  };

  /**
   * What Prometheus says about the target `name` (its health, last scrape and lastError).
   * @param {string} name
   */
  const describeTarget = async function (name) {
    const t = (await targets()).find(function (x) {
      return x.labels.target === name;
    });
    if (!t) return 'Prometheus has no active target named ' + name;
    return (
      t.scrapeUrl +
      ': health ' +
      t.health +
      ', last scrape ' +
      t.lastScrape +
      ', lastError ' +
      (t.lastError ? JSON.stringify(t.lastError) : '(none)')
    );
  };

  return {
    url,
    targets,
    describeTarget,
    /**
     * An instant query (/api/v1/query); its result.
     * @param {string} expr
     * @param {number} [timeMs] evaluation time (default: Prometheus's now)
     * @returns {Promise<any>}
     */
    async query(expr, timeMs) {
      /** @type {Record<string, string>} */
      const params = { query: expr };
      if (timeMs !== undefined) params.time = (timeMs / 1000).toFixed(3);
      return (await get('query', params)).result;
    },

    /**
     * Waits until Prometheus has stored a successful scrape of each target begun at or after `afterMs`, and
     * returns the latest such scrape of each, read from /api/v1/query (a range selector, which gives each
     * sample's own timestamp: the scrape's samples and its `up` share one). Fails, with Prometheus's
     * lastError (/api/v1/targets), as soon as a scrape begun after `afterMs` marked a target down (`up` 0:
     * unreachable, or an exposition Prometheus rejected), and when no scrape came within `timeoutMs`.
     * Also fails when Prometheus stored fewer series from the scrape than it parsed lines
     * (scrape_samples_scraped): samples it dropped, e.g. a line repeated with another value.
     * @param {string[]} names the targets' names (their `target` label)
     * @param {number} afterMs
     * @param {number} [timeoutMs]
     * @returns {Promise<Record<string, Scrape>>}
     */
    async scrapedAfter(names, afterMs, timeoutMs = 20000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const window = Math.max(5, Math.ceil((Date.now() - afterMs) / 1000) + 2);
        /** @type {RangeSeries[]} */
        const series = await this.query('{job="' + JOB + '"}[' + window + 's]');
        /** @type {Record<string, Scrape>} */
        const out = {};
        for (const name of names) {
          const mine = series.filter(function (s) {
            return s.metric.target === name;
          });
          const up = mine.find(function (s) {
            return s.metric.__name__ === 'up';
          });
          const since = (up ? up.values : [])
            .map(function (v) {
              return { at: Math.round(v[0] * 1000), value: v[1] };
            })
            .filter(function (v) {
              return v.at >= afterMs;
            });
          const failed = since.find(function (v) {
            return v.value !== '1';
          });
          if (failed)
            throw new Error(
              'Prometheus marked the target ' +
                name +
                ' down (up ' +
                failed.value +
                ' at ' +
                new Date(failed.at).toISOString() +
                '): ' +
                (await describeTarget(name)),
            );
          if (since.length === 0) continue;
          const at = since[since.length - 1].at;
          /** @type {Counters} */
          const counters = {};
          let samplesScraped = -1;
          for (const s of mine) {
            const sample = s.values.find(function (v) {
              return Math.round(v[0] * 1000) === at;
            });
            if (!sample) continue;
            const family = s.metric.__name__;
            if (family === 'scrape_samples_scraped') samplesScraped = Number(sample[1]);
            else if (family !== 'up' && !family.startsWith('scrape_')) counters[keyOf(s.metric)] = Number(sample[1]);
          }
          const stored = Object.keys(counters).length;
          if (samplesScraped !== stored)
            throw new Error(
              'Prometheus parsed ' +
                samplesScraped +
                ' samples from the target ' +
                name +
                ' at ' +
                new Date(at).toISOString() +
                ' but stored ' +
                stored +
                ' series: ' +
                JSON.stringify(counters) +
                '; ' +
                (await describeTarget(name)),
            );
          out[name] = { at, counters, samplesScraped };
        }
        if (Object.keys(out).length === names.length) return out;
        if (Date.now() > deadline) {
          const missing = names.filter(function (n) {
            return !out[n];
          });
          const states = [];
          for (const n of missing) states.push(n + ': ' + (await describeTarget(n)));
          throw new Error(
            'Prometheus stored no scrape begun after ' +
              new Date(afterMs).toISOString() +
              ' within ' +
              timeoutMs / 1000 +
              ' s of ' +
              states.join('; '),
          );
        }
        await sleep(150);
      }
    },
  };
}

/**
 * What the targets' counters grew by between two scrapes of each, as Prometheus stored them: scrapedAfter
 * `sinceMs` (the figures then) and scrapedAfter `untilMs`, per target. Counters are keyed by canonicalKey.
 * @param {ReturnType<typeof prometheusApi>} api
 * @param {Record<string, Scrape>} before from api.scrapedAfter before the cases
 * @param {number} afterMs a moment after the last case was answered
 * @returns {Promise<{ grown: Record<string, Counters>, scrapes: Record<string, Scrape> }>}
 */
export async function grownSince(api, before, afterMs) {
  const names = Object.keys(before);
  const scrapes = await api.scrapedAfter(names, afterMs);
  /** @type {Record<string, Counters>} */
  const grown = {};
  for (const n of names) grown[n] = canonicalCounters(countedSince(before[n].counters, scrapes[n].counters));
  return { grown, scrapes };
}

/**
 * @typedef {object} RunningPrometheus
 * @property {string} url
 * @property {Endpoint} endpoint where it listens (127.0.0.1)
 * @property {string} version
 * @property {ReturnType<typeof prometheusApi>} api
 * @property {() => string} output what it has written (its log), for diagnostics
 * @property {() => Promise<void>} stop stops it and removes its directory
 */

/**
 * Starts the installed Prometheus on 127.0.0.1:<free port>, scraping `targets` (name -> host:port, each
 * at /metrics) every second under job JOB with the label target=<name>; resolves once it answers /-/ready.
 * Its config and storage live in a temp dir named `dirPrefix`<random> (removed by stop()). It is killed if this
 * process exits without stop().
 * @param {{ targets: Record<string, Endpoint>, dirPrefix?: string, binary?: string, readyTimeoutMs?: number }} opts
 * @returns {Promise<RunningPrometheus>}
 */
export async function startPrometheus(opts) {
  const binary = opts.binary || PROMETHEUS;
  const version = prometheusVersion(binary);
  const dir = mkdtempSync(join(tmpdir(), opts.dirPrefix || 'region-router-prometheus-'));
  const host = '127.0.0.1';
  const port = await freePort(host);
  // YAML is a superset of JSON.
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1m' },
    scrape_configs: [
      {
        job_name: JOB,
        metrics_path: '/metrics',
        static_configs: Object.keys(opts.targets).map(function (name) {
          const t = opts.targets[name];
          return { targets: [t.host + ':' + t.port], labels: { target: name } };
        }),
      },
    ],
  };
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, JSON.stringify(config, null, 2) + '\n');
  const child = spawn(
    binary,
    [
      '--config.file=' + configFile,
      '--web.listen-address=' + host + ':' + port,
      '--storage.tsdb.path=' + join(dir, 'data'),
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  /** @type {string[]} */
  const out = [];
  const keep = function (/** @type {Buffer} */ chunk) {
    out.push(chunk.toString('utf8'));
    if (out.length > 400) out.splice(0, out.length - 400);
  };
  if (child.stdout) child.stdout.on('data', keep);
  if (child.stderr) child.stderr.on('data', keep);
  /** @type {number | null | undefined} */
  let exitCode;
  const exited = new Promise(function (resolve) {
    child.once('exit', function (code, signal) {
      exitCode = code === null ? -1 : code;
      resolve(signal || code);
    });
    child.once('error', function (e) {
      out.push(String(e));
      exitCode = -1;
      resolve(-1);
    });
  });
  const killOnExit = function () {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', killOnExit);
  const output = function () {
    return out.join('');
  };
  let stopped = false;
  const stop = async function () {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killOnExit);
    if (exitCode === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(function () {
        child.kill('SIGKILL');
      }, 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const url = 'http://' + host + ':' + port;
  const deadline = Date.now() + (opts.readyTimeoutMs || 30000);
  for (;;) {
    if (exitCode !== undefined) {
      await stop();
      throw new Error('prometheus ' + version + ' exited (' + exitCode + ') before it was ready:\n' + output());
    }
    const ready = await fetch(url + '/-/ready', { signal: AbortSignal.timeout(1000) }).then(
      function (r) {
        return r.status === 200;
      },
      function () {
        return false;
      },
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error('prometheus ' + version + ' was not ready at ' + url + ' within the time allowed:\n' + output());
    }
    await sleep(50);
  }
  return { url, endpoint: { host, port }, version, api: prometheusApi(url), output, stop };
}
