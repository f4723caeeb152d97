// npm run soak [-- --seconds 60 --runtime bookworm-njs --rate 200]
// Mixed traffic at a fixed rate through the example gateways (nginx/example/nginx.conf with the built bundle,
// echo upstreams): cookie GETs, bearer GETs, form token POSTs, logout by id_token_hint, wrong and malformed
// tokens and cookies; a quarter over short connections, the rest over long-lived keepalive connections. The
// gateway sets `keepalive_requests 1000000` in http {}, as for a load balancer's connections, so that only
// what the snippets set bounds a client connection. Region us goes down (both its upstreams) for a few
// seconds every minute and comes back.
// Fails unless every request got its documented answer (the upstream of its home region; while that region
// is down, 503 {"error":"temporarily_unavailable"}), nginx logged nothing broken, and the worker's RSS grew
// less than 5% after warm-up. Prints RSS and req/s over time, writes test-results/soak-<runtime>.svg (plot)
// and .json (samples), and ends with one line:
//     soak: N sent, N answered as documented, worker RSS +x.x% after warm-up
// --runtime: a runtime of dev/runtimes.mjs; bookworm-njs runs the host's nginx when it is bookworm's, the
// others (and bookworm-njs elsewhere) run in the runtime's image.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { cpuTicks, rssKiB, TICK_US, workerOf } from '../../bench/processes.mjs';
import { startEchoUpstream } from '../../dev/echo-upstream.mjs';
import { EXAMPLE_PORTS, renderExample } from '../../dev/example.mjs';
import { brokenLines } from '../../dev/logs.mjs';
import { startNginx } from '../../dev/nginx.mjs';
import { ROOT } from '../../dev/paths.mjs';
import { freePort } from '../../dev/ports.mjs';
import { ensureImage, imageRuntime, jsEngineDirective, runtimeById } from '../../dev/runtimes.mjs';
import { mintWrappedToken } from '../../dev/tokens.mjs';
import { soakSvg } from './plot.mjs';

const RSS_GROWTH_LIMIT = 0.05;
// The router's locations close a client connection after this many requests (keepalive_requests in
// api-location.conf and identity-location.conf): what bounds the memory nginx keeps per connection.
const REQUESTS_PER_CONNECTION = 1000;
const DOWN_REGION = 'us';
// Requests in flight at most. The warm-up sends bursts of this many, each on a new connection, so that the
// worker has handled the most requests at once that the run can bring it (request and connection pools,
// njs VMs: a high-water mark its heap keeps) before RSS is compared.
const MAX_IN_FLIGHT = 16;

const { values: opts } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    runtime: { type: 'string', default: 'bookworm-njs' },
    rate: { type: 'string', default: '200' },
  },
});
const seconds = Number(opts.seconds);
const rate = Number(opts.rate);
if (!(seconds >= 10) || !(rate > 0)) {
  console.error('soak: --seconds must be at least 10 and --rate positive');
  process.exit(2);
}
const runtime = runtimeById(String(opts.runtime));
// Long enough for the worker's pools, the njs engine and the keepalive connections (closed and reopened
// every 1000 requests by the snippets) to reach their steady size, with bursts at the concurrency limit.
const warmup = Math.min(15, seconds / 4);

// Region down every minute, first at 30 s (half way through a short run), for 8 s.
/** @type {{ from: number, to: number }[]} */
const outages = [];
for (let at = Math.min(30, seconds / 2); at < seconds - 2; at += 60) {
  outages.push({ from: at, to: Math.min(at + Math.min(8, Math.max(2, seconds / 8)), seconds - 1) });
}

// --- The gateway -------------------------------------------------------------------------------
function hostNginxIs(version) {
  const v = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  return !v.error && (v.stderr || '').includes('nginx/' + version);
}
const local = runtime.id === 'bookworm-njs' && hostNginxIs(runtime.nginx);
const where = local ? 'host nginx ' + runtime.nginx : 'image of ' + runtime.release;

/** @type {Record<string, import('../../dev/echo-upstream.mjs').EchoUpstream>} */
const upstreams = {};
/** @type {Record<number, number>} */
const ports = {};
for (const [key, examplePort] of Object.entries(EXAMPLE_PORTS.upstreams)) {
  const [region, service] = key.split('/');
  upstreams[key] = await startEchoUpstream({ region, service });
  ports[examplePort] = upstreams[key].port;
}
const identityPort = (ports[EXAMPLE_PORTS.identity] = await freePort());
const apiPort = (ports[EXAMPLE_PORTS.api] = await freePort());
const conf = renderExample({
  ports,
  errorLog: 'warn',
  http: "keepalive_requests 1000000;   # as for a load balancer's connections\n    " + jsEngineDirective(runtime),
});
const nginx = await startNginx(conf, {
  name: 'soak',
  runtime: local
    ? undefined
    : imageRuntime(ensureImage(runtime.release).tag, {
        namePrefix: 'njs-region-router-soak-' + process.pid + '-',
        pidHost: true,
      }),
  listen: [
    { host: '127.0.0.1', port: identityPort },
    { host: '127.0.0.1', port: apiPort },
  ],
});
const worker = workerOf(nginx.prefix);

// --- The traffic: each kind with its documented answer ------------------------------------------
const token = {
  bearerEu: await mintWrappedToken({ zone: 'eu' }, { size: 1024 }),
  bearerUs: await mintWrappedToken({ zone: 'us' }, { size: 1024 }),
  codeUs: await mintWrappedToken({ zone: 'us' }),
  refreshEu: await mintWrappedToken({ zone: 'eu' }),
  hintUs: await mintWrappedToken({ zone: 'us' }, { size: 1024 }),
  unknownRegion: await mintWrappedToken({ zone: 'ap' }),
  noClaim: await mintWrappedToken({}),
};
const form = 'application/x-www-form-urlencoded';

/**
 * @typedef {{ name: string, port: number, method: string, path: string, headers: Record<string, string>,
 *   body?: string, region: string, service: string, weight: number }} Kind
 * region/service: the upstream that answers while its region is up (README: How the region is found;
 * docs/bad-input.md for the wrong and malformed ones).
 */
/** @type {Kind[]} */
const KINDS = [
  {
    name: 'cookie GET',
    port: identityPort,
    method: 'GET',
    path: '/oauth/authorize?client_id=web',
    headers: { cookie: 'zone=us' },
    region: 'us',
    service: 'identity',
    weight: 3,
  },
  {
    name: 'cookie GET eu',
    port: identityPort,
    method: 'GET',
    path: '/login',
    headers: { cookie: 'zone=eu; theme=dark' },
    region: 'eu',
    service: 'identity',
    weight: 1,
  },
  {
    name: 'first visit (default region)',
    port: identityPort,
    method: 'GET',
    path: '/oauth/authorize?client_id=web',
    headers: {},
    region: 'eu',
    service: 'identity',
    weight: 1,
  },
  {
    name: 'cookie in upper case',
    port: identityPort,
    method: 'GET',
    path: '/login',
    headers: { cookie: 'zone=US' },
    region: 'us',
    service: 'identity',
    weight: 1,
  },
  {
    name: 'bearer GET us',
    port: apiPort,
    method: 'GET',
    path: '/accounts/me',
    headers: { authorization: 'Bearer ' + token.bearerUs },
    region: 'us',
    service: 'api',
    weight: 4,
  },
  {
    name: 'bearer GET eu',
    port: apiPort,
    method: 'GET',
    path: '/accounts/me',
    headers: { authorization: 'Bearer ' + token.bearerEu },
    region: 'eu',
    service: 'api',
    weight: 3,
  },
  {
    name: 'token POST by code',
    port: identityPort,
    method: 'POST',
    path: '/oauth/token',
    headers: { 'content-type': form },
    body: 'grant_type=authorization_code&code=' + token.codeUs + '&redirect_uri=https%3A%2F%2Fapp.example%2Fcb',
    region: 'us',
    service: 'identity',
    weight: 2,
  },
  {
    name: 'token POST by refresh_token',
    port: identityPort,
    method: 'POST',
    path: '/oauth/token',
    headers: { 'content-type': form },
    body: 'grant_type=refresh_token&refresh_token=' + token.refreshEu,
    region: 'eu',
    service: 'identity',
    weight: 1,
  },
  {
    name: 'logout by id_token_hint',
    port: identityPort,
    method: 'GET',
    path: '/logout?id_token_hint=' + token.hintUs,
    headers: {},
    region: 'us',
    service: 'identity',
    weight: 1,
  },
  {
    name: 'bearer naming no configured region',
    port: apiPort,
    method: 'GET',
    path: '/accounts/me',
    headers: { authorization: 'Bearer ' + token.unknownRegion },
    region: 'eu',
    service: 'api',
    weight: 1,
  },
  {
    name: 'bearer without the claim',
    port: apiPort,
    method: 'GET',
    path: '/accounts/me',
    headers: { authorization: 'Bearer ' + token.noClaim },
    region: 'eu',
    service: 'api',
    weight: 1,
  },
  {
    name: 'malformed bearer',
    port: apiPort,
    method: 'GET',
    path: '/accounts/me',
    headers: { authorization: 'Bearer not-a-jwt' },
    region: 'eu',
    service: 'api',
    weight: 1,
  },
  {
    name: 'malformed code, cookie us',
    port: identityPort,
    method: 'POST',
    path: '/oauth/token',
    headers: { 'content-type': form, cookie: 'zone=us' },
    body: 'grant_type=authorization_code&code=eyJhbGciOiJSUzI1NiJ9.%%%.sig',
    region: 'us',
    service: 'identity',
    weight: 1,
  },
];
/** The kinds in a fixed, interleaved order: each appears `weight` times per cycle. */
const CYCLE = [];
for (
  let round = 0;
  CYCLE.length <
  KINDS.reduce(function (n, k) {
    return n + k.weight;
  }, 0);
  round++
) {
  for (const k of KINDS) if (k.weight > round) CYCLE.push(k);
}

// --- Sending and judging ------------------------------------------------------------------------
const keepalive = new Agent({ keepAlive: true, maxSockets: 8 });
const short = new Agent({ keepAlive: false });
/** Requests per keepalive connection, to report how long they lived. */
const perSocket = new Map();

// Region us: 'up' or 'down', and an epoch that changes whenever it starts changing. A request that began
// and ended in the same epoch must have that epoch's answer; one that spans a change may have either.
let usState = 'up';
let epoch = 0;

const count = { sent: 0, answered: 0, documented: 0, unavailable: 0, done: 0, late: 0 };
/** @type {string[]} */
const failures = [];
const started = performance.now();
const elapsed = function () {
  return (performance.now() - started) / 1000;
};

/** @param {Kind} kind @param {{ status: number, headers: import('node:http').IncomingHttpHeaders, body: string }} res @param {string} allowed */
function judge(kind, res, allowed) {
  const down = kind.region === DOWN_REGION && allowed !== 'up';
  if (down && res.status === 503) {
    let error;
    try {
      error = JSON.parse(res.body).error;
    } catch {
      error = undefined;
    }
    if (error === 'temporarily_unavailable' && res.headers['retry-after'] === '30') {
      count.unavailable++;
      return '';
    }
    return '503 without the documented body: ' + res.body.slice(0, 120);
  }
  if (allowed === 'down' && kind.region === DOWN_REGION)
    return 'expected 503 while ' + DOWN_REGION + ' is down, got ' + res.status;
  if (res.status !== 200) return 'status ' + res.status + ': ' + res.body.slice(0, 120);
  let echo;
  try {
    echo = JSON.parse(res.body);
  } catch {
    return 'not an upstream answer: ' + res.body.slice(0, 120);
  }
  if (echo.region !== kind.region || echo.service !== kind.service)
    return 'answered by ' + echo.region + '/' + echo.service + ', expected ' + kind.region + '/' + kind.service;
  if (echo.method !== kind.method || echo.url !== kind.path) return 'upstream saw ' + echo.method + ' ' + echo.url;
  if ((kind.body || '') !== Buffer.from(echo.bodyBase64, 'base64').toString('utf8')) return 'body changed on the way';
  return '';
}

/** @param {number} i @param {boolean} [fresh] on a new connection, whatever i is */
function send(i, fresh) {
  const kind = CYCLE[i % CYCLE.length];
  const agent = fresh || i % 4 === 0 ? short : keepalive;
  const sentIn = { epoch, state: usState };
  count.sent++;
  inFlightPeak = Math.max(inFlightPeak, count.sent - count.done);
  const req = request(
    {
      host: '127.0.0.1',
      port: kind.port,
      method: kind.method,
      path: kind.path,
      headers: kind.headers,
      agent,
      timeout: 40000,
    },
    function (res) {
      const chunks = [];
      res.on('data', function (c) {
        chunks.push(c);
      });
      res.on('end', function () {
        count.answered++;
        const allowed = sentIn.epoch === epoch ? sentIn.state : 'either';
        const wrong = judge(
          kind,
          { status: res.statusCode || 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') },
          allowed,
        );
        if (wrong) {
          if (failures.length < 20)
            failures.push('#' + i + ' ' + kind.name + ' at ' + elapsed().toFixed(1) + ' s: ' + wrong);
        } else {
          count.documented++;
        }
        count.done++;
      });
    },
  );
  req.on('socket', function (s) {
    if (agent === keepalive) perSocket.set(s, (perSocket.get(s) || 0) + 1);
  });
  req.on('timeout', function () {
    req.destroy(new Error('no answer within 40 s'));
  });
  req.on('error', function (e) {
    if (failures.length < 20)
      failures.push('#' + i + ' ' + kind.name + ' at ' + elapsed().toFixed(1) + ' s: ' + e.message);
    count.done++;
  });
  req.end(kind.body);
}

async function takeDown() {
  usState = 'going down';
  epoch++;
  await Promise.all(
    ['identity', 'api'].map(function (s) {
      return upstreams[DOWN_REGION + '/' + s].close();
    }),
  );
  usState = 'down';
  epoch++;
}

async function bringUp() {
  usState = 'coming up';
  epoch++;
  for (const service of ['identity', 'api']) {
    const key = DOWN_REGION + '/' + service;
    upstreams[key] = await startEchoUpstream({ region: DOWN_REGION, service, port: upstreams[key].port });
  }
  usState = 'up';
  epoch++;
}

// --- Samples: one a second ----------------------------------------------------------------------
// Each sample is what the probes read; a check at the end reads the samples. Another probe (a metrics
// endpoint, say) adds a field here and a check below.
/** @type {{ t: number, rssKiB: number, reqPerSec: number, cpuPercent: number, inFlightPeak: number }[]} */
const samples = [];
let inFlightPeak = 0;
let lastDone = 0;
let lastTicks = cpuTicks(worker);
let lastT = 0;
function sample() {
  const t = elapsed();
  const ticks = cpuTicks(worker);
  const s = {
    t: Math.round(t * 10) / 10,
    rssKiB: rssKiB(worker),
    reqPerSec: Math.round((count.done - lastDone) / (t - lastT)),
    cpuPercent: Math.round((((ticks - lastTicks) * TICK_US) / 1e6 / (t - lastT)) * 100),
    inFlightPeak,
  };
  inFlightPeak = 0;
  lastDone = count.done;
  lastTicks = ticks;
  lastT = t;
  samples.push(s);
  // The echo upstreams keep every request they saw; nothing here reads them.
  for (const u of Object.values(upstreams)) u.seen.length = 0;
  return s;
}

const firstOutage = outages.length ? outages[0].from.toFixed(0) + '-' + outages[0].to.toFixed(0) + ' s' : 'never';
console.log(
  'soak: ' +
    seconds +
    ' s at ' +
    rate +
    ' req/s on ' +
    runtime.id +
    ' (' +
    where +
    '), region ' +
    DOWN_REGION +
    ' down at ' +
    firstOutage +
    (outages.length > 1 ? ' and every 60 s after (' + outages.length + ' times)' : '') +
    ', warm-up ' +
    warmup +
    ' s',
);
const printEvery = Math.max(5, Math.round(seconds / 30));
const total = Math.floor(seconds * rate);
await new Promise(function (resolve) {
  let nextSample = 1;
  let nextBurst = 1;
  let scheduled = 0;
  let outage = 0;
  let changing = false;
  const timer = setInterval(function () {
    const t = elapsed();
    if (t >= nextBurst && t < warmup - 2) {
      nextBurst += 2;
      while (count.sent - count.done < MAX_IN_FLIGHT) send(count.sent, true);
    }
    const due = Math.min(total, Math.floor(t * rate));
    while (scheduled < due) {
      if (count.sent - count.done >= MAX_IN_FLIGHT) {
        count.late++; // behind schedule: the rest is sent on a later tick
        break;
      }
      scheduled++;
      send(count.sent);
    }
    if (!changing && outage < outages.length) {
      const o = outages[outage];
      if (usState === 'up' && t >= o.from) {
        changing = true;
        takeDown().then(function () {
          changing = false;
        });
      } else if (usState === 'down' && t >= o.to) {
        changing = true;
        outage++;
        bringUp().then(function () {
          changing = false;
        });
      }
    }
    if (t >= nextSample) {
      nextSample++;
      const s = sample();
      if (Math.round(s.t) % printEvery === 0) {
        console.log(
          '  ' +
            String(Math.round(s.t)).padStart(5) +
            ' s  RSS ' +
            (s.rssKiB / 1024).toFixed(2) +
            ' MB  ' +
            String(s.reqPerSec).padStart(4) +
            ' req/s  worker CPU ' +
            s.cpuPercent +
            '%  region ' +
            DOWN_REGION +
            ' ' +
            usState,
        );
      }
    }
    if (scheduled >= total && !changing && usState === 'up') {
      clearInterval(timer);
      resolve(undefined);
    }
  }, 5);
});
const drainUntil = Date.now() + 45000;
while (count.done < count.sent && Date.now() < drainUntil)
  await new Promise(function (r) {
    setTimeout(r, 20);
  });
const finalRssKiB = rssKiB(worker);

// --- Checks -------------------------------------------------------------------------------------
const afterWarmup = samples.filter(function (s) {
  return s.t > warmup;
});
const baseline =
  samples
    .filter(function (s) {
      return s.t <= warmup;
    })
    .pop() || samples[0];
const peak = Math.max(
  finalRssKiB,
  ...afterWarmup.map(function (s) {
    return s.rssKiB;
  }),
);
const growth = (peak - baseline.rssKiB) / baseline.rssKiB;
const broken = brokenLines(nginx.errorLog(), 'alert');
const connections = perSocket.size;
const inFlightAfterWarmup = Math.max(
  0,
  ...afterWarmup.map(function (s) {
    return s.inFlightPeak;
  }),
);
const longest = Math.max(0, ...perSocket.values());

/** Each check: a name and what is wrong ('' when it passes). */
const CHECKS = [
  [
    'every request answered as documented',
    count.documented === count.sent ? '' : count.sent - count.documented + ' were not:\n    ' + failures.join('\n    '),
  ],
  [
    'region ' + DOWN_REGION + ' answered 503 temporarily_unavailable while down',
    outages.length === 0 || count.unavailable > 0 ? '' : 'no request got the 503',
  ],
  ['nginx logged nothing broken', broken.length === 0 ? '' : broken.slice(0, 10).join('\n    ')],
  [
    'nginx closed each keepalive connection within ' + REQUESTS_PER_CONNECTION + ' requests',
    longest <= REQUESTS_PER_CONNECTION
      ? ''
      : 'one carried ' + longest + " requests: the snippets' keepalive_requests did not apply",
  ],
  [
    'worker RSS grew less than ' + RSS_GROWTH_LIMIT * 100 + '% after warm-up',
    growth < RSS_GROWTH_LIMIT
      ? ''
      : 'from ' +
        baseline.rssKiB +
        ' KiB at ' +
        baseline.t +
        ' s to ' +
        peak +
        ' KiB (+' +
        (growth * 100).toFixed(1) +
        '%)',
  ],
];

const title = 'soak on ' + runtime.id + ' (' + where + '), ' + seconds + ' s at ' + rate + ' req/s';
const subtitle =
  count.sent +
  ' sent, ' +
  count.documented +
  ' answered as documented, worker RSS ' +
  (growth >= 0 ? '+' : '') +
  (growth * 100).toFixed(1) +
  '% after warm-up';
const results = join(ROOT, 'test-results');
mkdirSync(results, { recursive: true });
writeFileSync(
  join(results, 'soak-' + runtime.id + '.svg'),
  soakSvg({ title, subtitle, samples, warmup, down: outages, seconds }),
);
writeFileSync(
  join(results, 'soak-' + runtime.id + '.json'),
  JSON.stringify(
    {
      runtime: runtime.id,
      where,
      seconds,
      rate,
      warmup,
      outages,
      count,
      growth,
      baselineKiB: baseline.rssKiB,
      peakKiB: peak,
      connections,
      longest,
      inFlightAfterWarmup,
      samples,
    },
    null,
    1,
  ) + '\n',
);

await nginx.stop();
for (const u of Object.values(upstreams)) await u.close();
keepalive.destroy();

let failed = false;
for (const [name, wrong] of CHECKS) {
  console.log('  ' + (wrong ? 'FAIL ' : 'ok   ') + name + (wrong ? ': ' + wrong : ''));
  if (wrong) failed = true;
}
console.log(
  '  ' +
    count.late +
    ' times the sender waited for one of ' +
    MAX_IN_FLIGHT +
    ' slots (at most ' +
    inFlightAfterWarmup +
    ' in flight after warm-up); ' +
    count.unavailable +
    ' answered 503 temporarily_unavailable while ' +
    DOWN_REGION +
    ' was down; ' +
    connections +
    ' keepalive connections, up to ' +
    longest +
    ' requests on one; RSS ' +
    (baseline.rssKiB / 1024).toFixed(2) +
    ' MB at warm-up end, peak ' +
    (peak / 1024).toFixed(2) +
    ' MB; plot test-results/soak-' +
    runtime.id +
    '.svg',
);
console.log('soak: ' + subtitle + (failed ? ' (FAILED)' : ''));
process.exitCode = failed ? 1 : 0;
