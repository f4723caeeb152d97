// Fault tests through real nginx, on one runtime: a region's upstream stopped, refusing or hanging; the
// explicit failover opt-in; a reload under bounded load. Each starts its own gateway (test/hostile/gateway.ts).
// Where the runtime has metrics (njs 0.8+), a real Prometheus (dev/prometheus.mjs) scrapes the failover
// gateway's /metrics: the counters it stored must grow by the requests and failovers that group sent.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokenLines } from '../../../dev/logs.mjs';
import { countedSince, Counters, expectedCounters } from '../../../dev/metrics.mjs';
import { ROOT } from '../../../dev/paths.mjs';
import { freePort } from '../../../dev/ports.mjs';
import type { Endpoint } from '../../../dev/ports.mjs';
import { canonicalCounters, grownSince, startPrometheus } from '../../../dev/prometheus.mjs';
import type { RunningPrometheus, Scrape } from '../../../dev/prometheus.mjs';
import { ensureImage, hasSharedDict, imageVersions } from '../../../dev/runtimes.mjs';
import type { Runtime } from '../../../dev/runtimes.mjs';
import { mintWrappedToken } from '../../../dev/tokens.mjs';
import { gatewayPrefixStem } from '../../harness/run-resources.mjs';
import { Gateway, GatewayOptions, startGateway } from '../gateway';
import { exchange, inParallel, Message, serialise } from '../wire';

export interface FaultResult {
  name: string;
  ok: boolean;
  detail?: string;
}

interface Answer {
  status: number;
  upstream?: string;
  json?: Record<string, unknown>;
  body: string;
  ms: number;
  error?: string;
  retryAfter?: string;
}

const FORM = 'application/x-www-form-urlencoded';

async function send(port: number, path: string, init: RequestInit = {}): Promise<Answer> {
  const t0 = Date.now();
  try {
    const res = await fetch('http://127.0.0.1:' + port + path, {
      redirect: 'manual',
      signal: AbortSignal.timeout(60000),
      ...init,
    });
    const body = await res.text();
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    return {
      status: res.status,
      upstream: res.headers.get('x-upstream') ?? undefined,
      json,
      body,
      ms: Date.now() - t0,
      retryAfter: res.headers.get('retry-after') ?? undefined,
    };
  } catch (e) {
    return { status: 0, body: '', ms: Date.now() - t0, error: String((e as Error).cause ?? e) };
  }
}

function tokenRequest(token: string, n: number): string {
  return 'grant_type=authorization_code&code=' + token + '&n=' + n;
}

/** The requests of one user of a region: browser GET (cookie), token POST (wrapped code), API GET (bearer). */
interface Traffic {
  region: string;
  /** $region_router_source it is routed by. */
  source: string;
  kind: string;
  service: string;
  token: string;
  /** Over fetch: keepalive connections, as OAuth clients and browsers send. */
  send(gw: Gateway, n: number): Promise<Answer>;
  /** The same request on a fresh connection (Connection: close). */
  raw(gw: Gateway, n: number): Promise<Answer>;
}

async function sendRaw(port: number, m: Message): Promise<Answer> {
  const t0 = Date.now();
  const r = await exchange(port, serialise(m, '127.0.0.1:' + port), 60000);
  return {
    status: r.status,
    upstream: r.headers['x-upstream'],
    body: r.body.toString('utf8'),
    ms: Date.now() - t0,
    error: r.error,
  };
}

async function trafficFor(region: string): Promise<Traffic[]> {
  const token = await mintWrappedToken({ zone: region });
  return [
    {
      region,
      source: 'cookie',
      kind: 'browser GET',
      service: 'identity',
      token,
      send: function (gw, n) {
        return send(gw.identityPort, '/oauth/authorize?n=' + n, { headers: { cookie: 'zone=' + region } });
      },
      raw: function (gw, n) {
        return sendRaw(gw.identityPort, {
          method: 'GET',
          target: '/oauth/authorize?n=' + n,
          headers: [['Cookie', 'zone=' + region]],
        });
      },
    },
    {
      region,
      source: 'code',
      kind: 'token POST',
      service: 'identity',
      token,
      send: function (gw, n) {
        return send(gw.identityPort, '/oauth/token', {
          method: 'POST',
          headers: { 'content-type': FORM },
          body: tokenRequest(token, n),
        });
      },
      raw: function (gw, n) {
        return sendRaw(gw.identityPort, {
          method: 'POST',
          target: '/oauth/token',
          headers: [['Content-Type', FORM]],
          body: tokenRequest(token, n),
        });
      },
    },
    {
      region,
      source: 'bearer',
      kind: 'API GET',
      service: 'api',
      token,
      send: function (gw, n) {
        return send(gw.apiPort, '/accounts/me?n=' + n, { headers: { authorization: 'Bearer ' + token } });
      },
      raw: function (gw, n) {
        return sendRaw(gw.apiPort, {
          method: 'GET',
          target: '/accounts/me?n=' + n,
          headers: [['Authorization', 'Bearer ' + token]],
        });
      },
    },
  ];
}

/** The documented answer of a region whose upstream is unreachable. */
function isUnavailable(a: Answer): string | undefined {
  if (a.status !== 503)
    return (
      'expected 503, got ' +
      a.status +
      (a.upstream ? ' from ' + a.upstream : '') +
      ' ' +
      (a.error ?? a.body.slice(0, 80))
    );
  if (!a.json || a.json.error !== 'temporarily_unavailable')
    return 'expected {"error":"temporarily_unavailable"}, got ' + a.body.slice(0, 80);
  if (a.retryAfter === undefined) return 'no Retry-After header';
  return undefined;
}

function servedBy(a: Answer, key: string): string | undefined {
  return a.status === 200 && a.upstream === key
    ? undefined
    : 'expected 200 from ' + key + ', got ' + a.status + ' ' + (a.upstream ?? a.error ?? a.body.slice(0, 80));
}

/** Checks a list of (answer, verdict) and folds them into one result. */
function verdict(name: string, problems: (string | undefined)[], detail: string): FaultResult {
  const real = problems.filter(function (p): p is string {
    return p !== undefined;
  });
  return { name, ok: real.length === 0, detail: real.length ? real.length + ' problems, first: ' + real[0] : detail };
}

/** Where a fault run's gateways run, and the directory of its edited snippet copies. */
interface Run {
  runtime: Runtime;
  runId: string;
  edits: string;
  print: (line: string) => void;
  /** The run's Prometheus, where the runtime has metrics and the failover group runs. */
  prometheus?: FaultsPrometheus;
}

/** The Prometheus of a fault run, scraping the port the failover gateway will serve /metrics at. */
interface FaultsPrometheus {
  metricsAt: Endpoint;
  running?: RunningPrometheus;
  /** Why it did not start (e.g. not installed): the failover group's Prometheus check reports it. */
  error?: string;
  /** Frees the port for the gateway (held until then, so that no other listener gets it). */
  release(): Promise<void>;
}

/** The target name of the failover gateway in Prometheus. */
const FAILOVER_TARGET = 'failover';

/**
 * Starts the run's Prometheus at once, scraping a port reserved for the failover gateway's /metrics:
 * Prometheus applies its first targets only 5 s after it starts, and the groups before failover take longer
 * than that, so its scrapes are there when that group needs them. Until the gateway starts, the port is held
 * by a listener that closes every connection (those scrapes fail, before the moments the check reads).
 */
async function startFaultsPrometheus(at: Run): Promise<FaultsPrometheus | undefined> {
  const image = ensureImage(at.runtime.release);
  if (!hasSharedDict(imageVersions(image.tag).njs, at.runtime.engine)) return undefined;
  const metricsAt = { host: '127.0.0.1', port: await freePort() };
  const holder = createServer(function (s) {
    s.destroy();
  });
  await new Promise<void>(function (resolve, reject) {
    holder.once('error', reject);
    holder.listen(metricsAt.port, metricsAt.host, resolve);
  });
  let held = true;
  const out: FaultsPrometheus = {
    metricsAt,
    release: async function () {
      if (!held) return;
      held = false;
      await new Promise(function (resolve) {
        holder.close(resolve);
      });
    },
  };
  try {
    out.running = await startPrometheus({
      targets: { [FAILOVER_TARGET]: metricsAt },
      dirPrefix: gatewayPrefixStem(at.runId) + 'prometheus-',
    });
  } catch (e) {
    out.error = (e as Error).message;
  }
  return out;
}

type FaultOptions = Omit<GatewayOptions, 'runtime' | 'runId' | 'name' | 'readable'>;

async function withGateway<T>(at: Run, opts: FaultOptions, run: (gw: Gateway) => Promise<T>): Promise<T> {
  const gw = await startGateway({
    ...opts,
    runtime: at.runtime,
    runId: at.runId,
    name: 'faults',
    readable: [at.edits],
  });
  try {
    const result = await run(gw);
    if (process.env.FAULTS_DUMP)
      writeFileSync(
        process.env.FAULTS_DUMP + '.' + at.runtime.id + '.' + run.name,
        gw.nginx.errorLog() +
          '\n=== access\n' +
          gw.nginx.accessLog() +
          '\n=== conf\n' +
          readFileSync(join(gw.nginx.prefix, 'nginx.conf'), 'utf8'),
      );
    // connect() and timeout errors are what these tests provoke: only worse means nginx or njs broke
    const crashes = brokenLines(gw.nginx.errorLog(), 'alert');
    if (crashes.length) throw new Error('nginx or njs broke: ' + crashes[0]);
    return result;
  } finally {
    await gw.stop();
  }
}

/** Mixed traffic of both regions, interleaved, `rounds` times. */
async function mixed(gw: Gateway, traffic: Traffic[], rounds: number, width = 8): Promise<{ t: Traffic; a: Answer }[]> {
  const jobs: Traffic[] = [];
  for (let i = 0; i < rounds; i++) jobs.push(...traffic);
  const answers = await inParallel(jobs, width, function (t, i) {
    return t.send(gw, i);
  });
  return jobs.map(function (t, i) {
    return { t, a: answers[i] };
  });
}

/** Counters in key order, to compare and show. */
function sortedCounters(c: Counters): [string, number][] {
  return Object.keys(c)
    .sort()
    .map(function (k): [string, number] {
      return [k, c[k]];
    });
}

function accessLines(gw: Gateway, pattern: RegExp): string[] {
  return gw.nginx
    .accessLog()
    .split('\n')
    .filter(function (l) {
      return pattern.test(l);
    });
}

/**
 * Replaces a shipped snippet, for this gateway only, by an edited copy in the run's `edits` directory
 * (the gateway's container mounts it).
 */
function withSnippet(at: Run, name: string, edit: (text: string) => string): (conf: string) => string {
  return function (conf) {
    const dir = mkdtempSync(join(at.edits, name + '-'));
    const snippet = join(ROOT, 'nginx', name);
    const copy = join(dir, name);
    const text = readFileSync(snippet, 'utf8');
    const edited = edit(text);
    if (edited === text) throw new Error('edit of ' + name + ' changed nothing: the snippet moved on');
    writeFileSync(copy, edited);
    return conf.split('include ' + snippet + ';').join('include ' + copy + ';');
  };
}

/** Timeouts shorter than the shipped ones, so the timeout tests do not wait that long. */
function readTimeout2s(at: Run) {
  return withSnippet(at, 'gateway.conf', function (t) {
    return t.replace('proxy_read_timeout 30s;', 'proxy_read_timeout 2s;');
  });
}
function connectTimeout1s(at: Run) {
  return withSnippet(at, 'gateway.conf', function (t) {
    return t.replace('proxy_connect_timeout 3s;', 'proxy_connect_timeout 1s;');
  });
}

/** The failover opt-in for us on the identity gateway only, as regions.conf documents it. */
function allowUsToFailOverToEu(at: Run) {
  return withSnippet(at, 'regions.conf', function (t) {
    return t.replace('# identity:us  idsvr_eu;', 'identity:us  idsvr_eu;');
  });
}

async function regionDown(at: Run): Promise<FaultResult[]> {
  const eu = await trafficFor('eu');
  const us = await trafficFor('us');
  return withGateway(at, {}, async function (gw) {
    const out: FaultResult[] = [];
    // Warm up: keepalive connections to every upstream exist when us goes down.
    const warm = await mixed(gw, eu.concat(us), 3);
    out.push(
      verdict(
        'both regions up: every request reaches its home region',
        warm.map(function (x) {
          return servedBy(x.a, x.t.region + '/' + x.t.service);
        }),
        warm.length + ' requests',
      ),
    );

    const euSeen = [gw.upstreams['eu/identity'], gw.upstreams['eu/api']];
    const before = euSeen.map(function (u) {
      return u.seen.length;
    });
    await gw.stopUpstream('us/identity');
    await gw.stopUpstream('us/api');
    const down = await mixed(gw, eu.concat(us), 20);
    const problems = down.map(function (x) {
      return x.t.region === 'us' ? isUnavailable(x.a) : servedBy(x.a, 'eu/' + x.t.service);
    });
    const slowest = Math.max(
      ...down
        .filter(function (x) {
          return x.t.region === 'us';
        })
        .map(function (x) {
          return x.a.ms;
        }),
    );
    // within the configured connect timeout (3s): a refused connection fails at once
    if (slowest > 3000 + 2000) problems.push('a us user waited ' + slowest + ' ms for the 503 (connect timeout 3 s)');
    out.push(
      verdict(
        'us stopped: us users get 503 temporarily_unavailable, eu users unaffected',
        problems,
        down.length + ' requests; us answered 503 in <= ' + slowest + ' ms; eu all 200',
      ),
    );

    // Data sovereignty: nothing of us reached eu, and no log line claims a failover.
    const leaked = euSeen
      .flatMap(function (u, i) {
        return u.seen.slice(before[i]);
      })
      .filter(function (r) {
        const headers = JSON.stringify(r.rawHeaders);
        return (
          headers.includes('zone=us') ||
          headers.includes(us[0].token) ||
          Buffer.from(r.bodyBase64, 'base64').toString().includes(us[0].token)
        );
      });
    const failovers = accessLines(gw, /failover=(?!-)/);
    const logged503 = accessLines(gw, /" 503 \d+ region=us source=(cookie|code|bearer) .* failover=-$/);
    // Nothing a client sent in headers or body reaches the error log, though every us request logged a
    // connect() error. The query is another matter: nginx quotes the request line, so the shipped example
    // gives the end-session endpoint (/logout) an error log at crit. The control path shows the quote.
    const hint = us[0].token;
    const logout = await Promise.all(
      [0, 1, 2].map(function (n) {
        return send(gw.identityPort, '/logout?n=' + n + '&id_token_hint=' + hint);
      }),
    );
    const errorsBefore = gw.nginx.errorLog();
    const control = await send(gw.identityPort, '/elsewhere?id_token_hint=' + hint);
    const errorsAfter = gw.nginx.errorLog();
    const sig = hint.slice(-32);
    out.push(
      verdict(
        'region down: no token or cookie in the error log; /logout keeps id_token_hint out',
        logout
          .map(isUnavailable)
          .concat([
            isUnavailable(control),
            errorsBefore.includes(sig) ? 'the error log holds a us token (header, body or /logout query)' : undefined,
            errorsBefore.includes('zone=us') ? 'the error log holds a cookie' : undefined,
            errorsAfter.slice(errorsBefore.length).includes(sig)
              ? undefined
              : 'control: expected nginx to quote the id_token_hint of /elsewhere (the check would be blind otherwise)',
          ]),
        down.length / 2 +
          3 +
          ' failed us requests: 0 error-log lines hold their bearer token, body or cookie; /logout hint kept out (crit); control path /elsewhere quoted by nginx at [error]',
      ),
    );

    out.push(
      verdict(
        'no silent fallback: no us request reached eu, none marked as failover',
        [
          leaked.length ? leaked.length + ' us requests reached eu' : undefined,
          failovers.length ? failovers.length + ' access-log lines show a failover: ' + failovers[0] : undefined,
          logged503.length !== 60
            ? 'expected 60 access-log lines "503 region=us ... failover=-", found ' + logged503.length
            : undefined,
        ],
        'eu received 0 us requests; 60 log lines "503 region=us failover=-"',
      ),
    );
    return out;
  });
}

/** us is broken so that its users wait for a timeout: they get the 503 after it, eu is answered meanwhile. */
async function slowRegion(
  at: Run,
  eu: Traffic[],
  us: Traffic[],
  fault: 'hang' | 'blackhole',
  edit: (conf: string) => string,
  timeoutMs: number,
  name: string,
): Promise<FaultResult> {
  return withGateway(at, { faulty: { 'us/identity': fault, 'us/api': fault }, edit }, async function (gw) {
    const usAnswers = Promise.all(
      us.map(function (t, i) {
        return t.send(gw, i);
      }),
    );
    const euDuring = await mixed(gw, eu, 5);
    const usAll = await usAnswers;
    const problems: (string | undefined)[] = usAll.map(isUnavailable).concat(
      euDuring.map(function (x) {
        return servedBy(x.a, 'eu/' + x.t.service);
      }),
    );
    for (const a of usAll) {
      if (a.ms < timeoutMs * 0.75 || a.ms > timeoutMs + 3000)
        problems.push('us answered after ' + a.ms + ' ms; the timeout is ' + timeoutMs + ' ms');
    }
    const euSlowest = Math.max(
      ...euDuring.map(function (x) {
        return x.a.ms;
      }),
    );
    if (euSlowest >= timeoutMs * 0.75)
      problems.push('an eu request waited ' + euSlowest + ' ms behind the broken us upstream');
    return verdict(
      name + ': us 503 after the timeout, eu answered meanwhile',
      problems,
      'us 503 after ' +
        usAll
          .map(function (a) {
            return a.ms;
          })
          .join('/') +
        ' ms; eu answered in <= ' +
        euSlowest +
        ' ms meanwhile',
    );
  });
}

async function refusedAndTimeout(at: Run): Promise<FaultResult[]> {
  const eu = await trafficFor('eu');
  const us = await trafficFor('us');
  const out: FaultResult[] = [];
  out.push(
    await withGateway(at, { faulty: { 'us/identity': 'refuse', 'us/api': 'refuse' } }, async function (gw) {
      const all = await mixed(gw, eu.concat(us), 5);
      return verdict(
        'us refuses connections from the start: us 503, eu unaffected',
        all.map(function (x) {
          return x.t.region === 'us' ? isUnavailable(x.a) : servedBy(x.a, 'eu/' + x.t.service);
        }),
        all.length + ' requests',
      );
    }),
  );
  out.push(
    await slowRegion(
      at,
      eu,
      us,
      'blackhole',
      connectTimeout1s(at),
      1000,
      'us never accepts connections (proxy_connect_timeout 1s)',
    ),
  );
  out.push(
    await slowRegion(
      at,
      eu,
      us,
      'hang',
      readTimeout2s(at),
      2000,
      'us accepts and never answers (proxy_read_timeout 2s)',
    ),
  );
  return out;
}

/**
 * Compares what Prometheus stored of the failover gateway's counters (grown between its scrape `before`
 * and one begun after the traffic) with what was sent; prints the prometheus [runtime] line when equal.
 */
async function prometheusVerdict(
  at: Run,
  before: Promise<Record<string, Scrape> | Error>,
  waitedBefore: number,
  sent: Counters,
): Promise<FaultResult> {
  const name =
    'Prometheus scraped the failover gateway: the counters it stored (its HTTP API) grew by the requests and failovers sent';
  const prom = at.prometheus!;
  try {
    if (!prom.running) throw new Error('no Prometheus: ' + prom.error);
    const first = await before;
    if (first instanceof Error) throw first;
    const t0 = Date.now();
    const after = await grownSince(prom.running.api, first, Date.now());
    const expected = canonicalCounters(sent);
    const got = after.grown[FAILOVER_TARGET];
    if (JSON.stringify(sortedCounters(got)) !== JSON.stringify(sortedCounters(expected)))
      return verdict(
        name,
        [
          'Prometheus stored ' +
            JSON.stringify(sortedCounters(got)) +
            ' (grown between its scrapes at ' +
            new Date(first[FAILOVER_TARGET].at).toISOString() +
            ' and ' +
            new Date(after.scrapes[FAILOVER_TARGET].at).toISOString() +
            '), sent ' +
            JSON.stringify(sortedCounters(expected)),
        ],
        '',
      );
    const sum = function (family: string): number {
      return Object.keys(expected)
        .filter(function (k) {
          return k.startsWith(family + '{');
        })
        .reduce(function (n, k) {
          return n + expected[k];
        }, 0);
    };
    const figures =
      Object.keys(expected).length +
      ' series equal to what the cases sent (' +
      sum('region_router_requests_total') +
      ' requests per region and source, ' +
      sum('region_router_failovers_total') +
      ' failovers; Prometheus ' +
      prom.running.version +
      '; waited ' +
      (waitedBefore / 1000).toFixed(1) +
      ' s for its scrape before the traffic, ' +
      ((Date.now() - t0) / 1000).toFixed(1) +
      ' s for the one after)';
    at.print('prometheus [' + at.runtime.id + ']: scraped 1 gateway, ' + figures);
    return verdict(name, [], figures);
  } catch (e) {
    return verdict(name, [(e as Error).message], '');
  }
}

async function failover(at: Run): Promise<FaultResult[]> {
  const eu = await trafficFor('eu');
  const us = await trafficFor('us');
  const prom = at.prometheus;
  if (prom) await prom.release();
  const options: FaultOptions = { edit: allowUsToFailOverToEu(at), metrics: true, metricsAt: prom?.metricsAt };
  return withGateway(at, options, async function failoverRun(gw) {
    const out: FaultResult[] = [];
    const euIdentity = gw.upstreams['eu/identity'];
    await gw.stopUpstream('us/identity');
    await gw.stopUpstream('us/api');
    const before = euIdentity.seen.length;
    const countersBefore = await gw.counters();
    // Prometheus's reading before the traffic: its first scrape begun from now on.
    const prometheusBefore =
      prom && prom.running
        ? prom.running.api.scrapedAfter([FAILOVER_TARGET], Date.now()).catch(function (e: Error) {
            return e;
          })
        : Promise.resolve(new Error('no Prometheus'));
    const t0 = Date.now();
    if (prom) await prometheusBefore;
    const waitedBefore = Date.now() - t0;
    const down = await mixed(gw, eu.concat(us), 5);
    const problems = down.map(function (x) {
      if (x.t.region === 'eu') return servedBy(x.a, 'eu/' + x.t.service);
      // allowed for us on the identity gateway only: the API gateway has no opt-in
      return x.t.service === 'identity' ? servedBy(x.a, 'eu/identity') : isUnavailable(x.a);
    });
    // the failed-over token POST arrives byte for byte
    const intact = new RegExp('^grant_type=authorization_code&code=(' + eu[0].token + '|' + us[0].token + ')&n=\\d+$');
    const posted = euIdentity.seen.slice(before).filter(function (r: { method: string; bodyBase64: string }) {
      return r.method === 'POST' && intact.test(Buffer.from(r.bodyBase64, 'base64').toString());
    });
    if (posted.length !== 5 + 5)
      problems.push('expected 10 intact token POSTs at eu (5 eu, 5 us failed over), found ' + posted.length);
    const marked = accessLines(gw, /" 200 \d+ region=us source=(cookie|code) .* failover=idsvr_eu$/);
    if (marked.length !== 10)
      problems.push('expected 10 access-log lines "200 region=us ... failover=idsvr_eu", found ' + marked.length);
    // The counters (/metrics, or on njs 0.7.9 the access-log recipe of docs/configuration.md) against what was sent.
    const sent = expectedCounters();
    for (const x of down)
      sent.request({
        region: x.t.region,
        source: x.t.source,
        failover: x.t.region === 'us' && x.t.service === 'identity' ? 'idsvr_eu' : undefined,
      });
    const counted = countedSince(countersBefore, await gw.counters());
    if (JSON.stringify(sortedCounters(counted)) !== JSON.stringify(sortedCounters(sent.counters)))
      problems.push(
        'counted ' +
          JSON.stringify(sortedCounters(counted)) +
          ', sent ' +
          JSON.stringify(sortedCounters(sent.counters)),
      );
    out.push(
      verdict(
        'failover allowed for us (identity only): us served by eu, marked failover=idsvr_eu and counted; us API still 503',
        problems,
        down.length +
          ' requests; 10 us identity requests failed over, were logged failover=idsvr_eu and counted (' +
          (gw.metrics ? '/metrics' : 'access-log recipe') +
          '); 5 us API requests 503',
      ),
    );
    if (prom) out.push(await prometheusVerdict(at, prometheusBefore, waitedBefore, sent.counters));

    await gw.stopUpstream('eu/identity');
    const both = await mixed(
      gw,
      eu.concat(us).filter(function (t) {
        return t.service === 'identity';
      }),
      3,
    );
    out.push(
      verdict(
        'failover target down too: 503 for both, no further hop; eu never fails over to us (not allowed)',
        both.map(function (x) {
          return isUnavailable(x.a);
        }),
        both.length + ' identity requests answered 503',
      ),
    );
    return out;
  });
}

/** Which request (its n) an upstream record is: ?n= in the URL or &n= at the end of the body. */
function requestNumber(r: { url: string; bodyBase64: string }): number {
  const m = /[?&]n=(\d+)/.exec(r.url) ?? /&n=(\d+)$/.exec(Buffer.from(r.bodyBase64, 'base64').toString());
  return m ? Number(m[1]) : -1;
}

/**
 * `total` requests of both regions, 16 at a time; the master gets SIGHUP each time another 15% of them
 * have been answered (5 times), so every reload falls inside the load. Bounded in count and time.
 * Returns each request's answer and how often each reached an upstream.
 */
async function loadWithReloads(gw: Gateway, traffic: Traffic[], total: number, keepalive: boolean) {
  let reloads = 0;
  let answered = 0;
  const jobs: Traffic[] = [];
  for (let i = 0; i < total; i++) jobs.push(traffic[i % traffic.length]);
  const deadline = Date.now() + 60000;
  const answers = await inParallel(jobs, 16, async function (t, i) {
    if (Date.now() > deadline) return { status: 0, body: '', ms: 0, error: 'not sent: deadline' } as Answer;
    const a = await (keepalive ? t.send(gw, i) : t.raw(gw, i));
    answered++;
    if (reloads < 5 && answered >= total * 0.15 * (reloads + 1)) {
      gw.reload();
      reloads++;
    }
    return a;
  });
  const reached = new Map<number, number>();
  for (const key of Object.keys(gw.upstreams)) {
    for (const r of gw.upstreams[key].seen as { url: string; bodyBase64: string }[])
      reached.set(requestNumber(r), (reached.get(requestNumber(r)) ?? 0) + 1);
  }
  return { jobs, answers, reloads, reached };
}

/** The reloads took effect: nginx started new workers (SIGHUPs close together may merge into one reload). */
function reloadProblems(gw: Gateway, reloads: number): (string | undefined)[] {
  const workers = (gw.nginx.errorLog().match(/start worker process \d+/g) ?? []).length - 1;
  return [
    reloads < 5 ? 'only ' + reloads + ' SIGHUPs were sent during the load' : undefined,
    workers < 3 ? 'expected new workers from at least 3 reloads, ' + workers + ' started' : undefined,
  ];
}

async function reloadUnderLoad(at: Run): Promise<FaultResult[]> {
  const traffic = (await trafficFor('eu')).concat(await trafficFor('us'));
  const out: FaultResult[] = [];
  out.push(
    await withGateway(at, {}, async function (gw) {
      // One connection per request: every request nginx accepted must be answered, across reloads.
      const total = 2000;
      const run = await loadWithReloads(gw, traffic, total, false);
      const problems = run.answers
        .map(function (a, i) {
          return servedBy(a, run.jobs[i].region + '/' + run.jobs[i].service);
        })
        .concat(reloadProblems(gw, run.reloads));
      return verdict(
        'reload under load, fresh connections: ' + run.reloads + ' x SIGHUP during ' + total + ' requests: none lost',
        problems,
        total + ' requests, all 200 from the home region',
      );
    }),
  );
  out.push(
    await withGateway(at, {}, async function (gw) {
      // Keepalive clients: a reload closes idle keepalive connections; a request the client sent into one
      // at that moment is never read by nginx (no answer, reached no upstream). HTTP/1.1 lets the client
      // resend it (RFC 9112 9.3.1); nothing else may go wrong.
      const total = 3000;
      const run = await loadWithReloads(gw, traffic, total, true);
      const problems: (string | undefined)[] = [];
      let closedUnread = 0;
      for (let i = 0; i < total; i++) {
        const a = run.answers[i];
        const t = run.jobs[i];
        if (
          a.status === 0 &&
          /other side closed|ECONNRESET|socket hang up/i.test(a.error ?? '') &&
          !run.reached.has(i)
        ) {
          closedUnread++;
          problems.push(servedBy(await t.send(gw, i), t.region + '/' + t.service));
        } else {
          problems.push(servedBy(a, t.region + '/' + t.service));
        }
      }
      const twice = Array.from(run.reached.entries()).filter(function (e) {
        return e[1] > 1;
      });
      if (twice.length) problems.push(twice.length + ' requests reached an upstream twice');
      problems.push(...reloadProblems(gw, run.reloads));
      return verdict(
        'reload under load, keepalive clients: ' + run.reloads + ' x SIGHUP during ' + total + ' requests: none lost',
        problems,
        total +
          ' requests: ' +
          (total - closedUnread) +
          ' answered 200 from the home region; ' +
          closedUnread +
          ' met a keepalive connection closed by the reload before nginx read them (reached no upstream) and were answered 200 when resent',
      );
    }),
  );
  return out;
}

export async function runFaults(
  print: (line: string) => void,
  runtime: Runtime,
  runId: string,
): Promise<FaultResult[]> {
  const results: FaultResult[] = [];
  const at: Run = {
    runtime,
    runId,
    print,
    edits: mkdtempSync(join(tmpdir(), gatewayPrefixStem(runId) + 'edits-')),
  };
  try {
    const groups = [regionDown, refusedAndTimeout, failover, reloadUnderLoad].filter(function (group) {
      return !process.env.FAULTS_ONLY || process.env.FAULTS_ONLY === group.name;
    });
    if (groups.indexOf(failover) >= 0) {
      try {
        at.prometheus = await startFaultsPrometheus(at);
      } catch (e) {
        results.push({ name: 'Prometheus for the failover group', ok: false, detail: String((e as Error).stack ?? e) });
      }
    }
    for (const group of groups) {
      try {
        results.push(...(await group(at)));
      } catch (e) {
        results.push({ name: group.name, ok: false, detail: String((e as Error).stack ?? e) });
      }
    }
  } finally {
    if (at.prometheus) {
      await at.prometheus.release();
      if (at.prometheus.running) await at.prometheus.running.stop();
    }
    rmSync(at.edits, { recursive: true, force: true });
  }
  print('faults [' + runtime.id + ']: ' + results.length + ' checks against real nginx');
  return results;
}
