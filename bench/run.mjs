// npm run bench [-- --quick] [--rounds N] [--seconds S] [--connections C] [--upstream-cpu 0|1]
// What routing costs, as ratios against plain NGINX: real nginx with the shipped snippets and built bundle,
// wrk as the load generator, upstream nginx answering at once, all on 127.0.0.1. Variants run in interleaved
// rounds (shuffled order each round) so machine noise hits all alike; medians are reported.
// Writes bench/results.json and the results section of bench/README.md.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokenLines } from '../dev/logs.mjs';
import { startNginx } from '../dev/nginx.mjs';
import { ROOT } from '../dev/paths.mjs';
import { freePort } from '../dev/ports.mjs';
import { mintWrappedToken } from '../dev/tokens.mjs';
import { renderFloor, renderGateway, renderPlain, renderRegions, renderUpstream } from './configs.mjs';
import { coreTicks, cpuTicks, rssKiB, runWrk, TICK_US, workerOf } from './processes.mjs';
import { formatTable, summarize } from './report.mjs';

const BENCH = join(ROOT, 'bench');

function option(name, fallback) {
  const i = process.argv.indexOf('--' + name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}
const QUICK = process.argv.includes('--quick');
const SETTINGS = {
  rounds: option('rounds', QUICK ? 2 : 8),
  seconds: option('seconds', 1),
  warmupSeconds: 1,
  connections: option('connections', 16),
  gatewayCpu: 0,
  loadCpu: 1,
  upstreamCpu: option('upstream-cpu', 1),
};
const PERF_DIR = process.argv.includes('--perf') ? join(ROOT, 'bench', '.perf') : undefined;
const FULL_SET = !QUICK || process.argv.includes('--all');

function log(message) { process.stderr.write(message + '\n'); }

/** What startNginx waits for: every port of a config's { name: port }, all on 127.0.0.1. */
function listeners(ports) {
  return Object.values(ports).map(function (p) { return { host: '127.0.0.1', port: p }; });
}

function formBody(token) {
  // an authorization-code token request as an OAuth client sends it (RFC 6749 4.1.3, PKCE)
  return 'grant_type=authorization_code&code=' + token +
    '&redirect_uri=https%3A%2F%2Fapp.example.com%2Foauth%2Fcallback&client_id=web-app' +
    '&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
}

// A browser's Cookie header: the zone cookie among a session and consent cookies.
const COOKIE = 'Cookie: _ga=GA1.2.1234567890.1700000000; zone=us; session=Fe26.2**0cdd6a1b8e4d2c55a1b9; consent=analytics%3Dno';

async function main() {
  const started = Date.now();
  log('bench: building dist/ (the shipped bundle)');
  const b = spawnSync(process.execPath, [join(ROOT, 'build', 'build.mjs')], { stdio: 'inherit' });
  if (b.status !== 0) throw new Error('build failed');

  if (PERF_DIR) mkdirSync(PERF_DIR, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'region-router-bench-'));
  const running = [];
  const stopAll = async function () {
    for (const n of running.splice(0)) await n.stop();
    rmSync(work, { recursive: true, force: true });
  };
  process.once('SIGINT', function () { stopAll().then(function () { process.exit(130); }); });
  try {
    const asRoot = process.getuid && process.getuid() === 0;

    // Wrapped tokens of 1, 4 and 8 KB naming region us (the default region is eu, so only a token that
    // was read routes to us), and the request bodies and headers built from them.
    const sizes = FULL_SET ? [1, 4, 8] : [1];
    const tokens = {};
    for (const kb of sizes) tokens[kb] = await mintWrappedToken({ zone: 'us' }, { size: kb * 1024 });
    const bodyFiles = {};
    for (const kb of sizes) {
      bodyFiles[kb] = join(work, 'form-' + kb + 'k.txt');
      writeFileSync(bodyFiles[kb], formBody(tokens[kb]));
    }
    const FORM = 'Content-Type: application/x-www-form-urlencoded';

    const upstreamPorts = { eu: await freePort(), us: await freePort() };
    const upstream = await startNginx(renderUpstream({ cpu: SETTINGS.upstreamCpu, asRoot, ports: upstreamPorts }),
      { name: 'bench-upstream', listen: listeners(upstreamPorts) });
    running.push(upstream);

    // One routing gateway per region-table size; only one is under load at a time.
    const tableSizes = FULL_SET ? [2, 10, 50] : [2];
    const gateways = {};
    for (const regions of tableSizes) {
      const ports = { static: await freePort(), map: await freePort(), identity: await freePort(), api: await freePort() };
      const regionsFile = join(work, 'regions-' + regions + '.conf');
      writeFileSync(regionsFile, renderRegions(ROOT, regions));
      const nginx = await startNginx(
        renderGateway({ root: ROOT, regions, regionsFile, ports, upstreamPorts, cpu: SETTINGS.gatewayCpu, asRoot }),
        { name: 'bench-gateway', listen: listeners(ports) });
      running.push(nginx);
      gateways[regions] = { nginx, ports, worker: workerOf(nginx.prefix) };
    }
    // --baseline REF: the same gateway with the bundle built from REF's src/, measured in the same rounds
    const baselineRef = process.argv.includes('--baseline') ? process.argv[process.argv.indexOf('--baseline') + 1] : undefined;
    let baseline;
    if (baselineRef) {
      const dir = join(work, 'baseline');
      mkdirSync(dir);
      const archive = spawnSync('sh', ['-c', 'git -C "$0" archive "$1" src build | tar -x -C "$2"', ROOT, baselineRef, dir], { stdio: 'inherit' });
      if (archive.status !== 0) throw new Error('could not extract ' + baselineRef);
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
      if (spawnSync(process.execPath, [join(dir, 'build', 'build.mjs')], { stdio: 'inherit' }).status !== 0) throw new Error('baseline build failed');
      const ports = { static: await freePort(), map: await freePort(), identity: await freePort(), api: await freePort() };
      const nginx = await startNginx(
        renderGateway({ root: ROOT, dist: join(dir, 'dist'), regions: 2, regionsFile: join(work, 'regions-2.conf'), ports, upstreamPorts, cpu: SETTINGS.gatewayCpu, asRoot }),
        { name: 'bench-baseline', listen: listeners(ports) });
      running.push(nginx);
      baseline = { nginx, ports, worker: workerOf(nginx.prefix) };
    }

    const plainPorts = { static: await freePort() };
    const plainNginx = await startNginx(renderPlain({ ports: plainPorts, upstreamPorts, cpu: SETTINGS.gatewayCpu, asRoot }),
      { name: 'bench-plain', listen: listeners(plainPorts) });
    running.push(plainNginx);
    const plain = { nginx: plainNginx, ports: plainPorts, worker: workerOf(plainNginx.prefix) };

    const floorPorts = { jsSet: await freePort(), jsContent: await freePort(), mirror: await freePort() };
    const floorNginx = await startNginx(renderFloor({ ports: floorPorts, upstreamPorts, benchDir: BENCH, cpu: SETTINGS.gatewayCpu, asRoot }),
      { name: 'bench-floor', listen: listeners(floorPorts) });
    running.push(floorNginx);
    const floor = { nginx: floorNginx, ports: floorPorts, worker: workerOf(floorNginx.prefix) };

    const bearer = function (kb) { return 'Authorization: Bearer ' + tokens[kb]; };
    const variants = [];
    const add = function (v) { variants.push(v); };
    const g2 = gateways[2];
    add({ id: 'static_get', label: 'static GET (bearer header, not read)', gw: g2, server: 'static', headers: [bearer(1)] });
    add({ id: 'static_post', label: 'static POST (token form, not read)', gw: g2, server: 'static', headers: [FORM], body: 1 });
    add({ id: 'map', label: 'map $cookie_zone', gw: g2, server: 'map', headers: [COOKIE] });
    add({ id: 'cookie', label: 'module: cookie GET', gw: g2, server: 'identity', headers: [COOKIE] });
    add({ id: 'bearer', label: 'module: bearer GET (1 KB token)', gw: g2, server: 'api', headers: [bearer(1)] });
    add({ id: 'form', label: 'module: token POST by code (1 KB)', gw: g2, server: 'identity', headers: [FORM], body: 1 });
    if (FULL_SET) {
      add({ id: 'plain_static_get', label: 'nginx without njs: static GET', gw: plain, server: 'static', headers: [bearer(1)] });
      add({ id: 'floor_js_set', label: 'reference: js_set returning a constant', gw: floor, server: 'jsSet', headers: [bearer(1)] });
      add({ id: 'floor_js_content', label: 'reference: js_content + internalRedirect, POST', gw: floor, server: 'jsContent', headers: [FORM], body: 1 });
      add({ id: 'floor_mirror', label: 'reference: mirror_request_body + js_set, POST', gw: floor, server: 'mirror', headers: [FORM], body: 1 });
      for (const kb of [4, 8]) {
        add({ id: 'static_get_' + kb + 'k', label: 'static GET (' + kb + ' KB bearer, not read)', gw: g2, server: 'static', headers: [bearer(kb)] });
        add({ id: 'bearer_' + kb + 'k', label: 'module: bearer GET (' + kb + ' KB token)', gw: g2, server: 'api', headers: [bearer(kb)] });
        add({ id: 'static_post_' + kb + 'k', label: 'static POST (' + kb + ' KB token form)', gw: g2, server: 'static', headers: [FORM], body: kb });
        add({ id: 'form_' + kb + 'k', label: 'module: token POST by code (' + kb + ' KB)', gw: g2, server: 'identity', headers: [FORM], body: kb });
      }
      for (const regions of [10, 50]) {
        const gw = gateways[regions];
        add({ id: 'map_r' + regions, label: 'map $cookie_zone, ' + regions + ' regions', gw, server: 'map', headers: [COOKIE] });
        add({ id: 'cookie_r' + regions, label: 'module: cookie GET, ' + regions + ' regions', gw, server: 'identity', headers: [COOKIE] });
        add({ id: 'bearer_r' + regions, label: 'module: bearer GET, ' + regions + ' regions', gw, server: 'api', headers: [bearer(1)] });
        add({ id: 'form_r' + regions, label: 'module: token POST, ' + regions + ' regions', gw, server: 'identity', headers: [FORM], body: 1 });
      }
    }
    if (baseline) {
      for (const id of ['cookie', 'bearer', 'form']) {
        const v = variants.find(function (x) { return x.id === id; });
        add({ id: id + '_baseline', label: v.label.replace('module:', 'module at ' + baselineRef + ':'), gw: baseline, server: v.server, headers: v.headers, body: v.body });
      }
    }
    const only = process.argv.indexOf('--only');
    if (only >= 0) {
      const keep = process.argv[only + 1].split(',');
      for (let i = variants.length - 1; i >= 0; i--) if (!keep.includes(variants[i].id)) variants.splice(i, 1);
    }
    for (const v of variants) {
      v.url = 'http://127.0.0.1:' + v.gw.ports[v.server] + '/oauth/' + (v.body ? 'token' : 'userinfo');
      v.bodyFile = v.body ? bodyFiles[v.body] : undefined;
    }

    // Every variant must reach the us upstream, or it measures the wrong thing.
    for (const v of variants) {
      const headers = {};
      for (const h of v.headers) { const i = h.indexOf(':'); headers[h.slice(0, i)] = h.slice(i + 1).trim(); }
      const res = await fetch(v.url, { method: v.body ? 'POST' : 'GET', headers, body: v.body ? readFileSync(v.bodyFile) : undefined });
      const text = await res.text();
      if (res.status !== 200 || text !== 'us\n') {
        throw new Error(v.id + ': expected the us upstream, got ' + res.status + ' ' + JSON.stringify(text) + '\n' + v.gw.nginx.errorLog());
      }
    }
    log('bench: ' + variants.length + ' variants route as expected; ' + SETTINGS.rounds + ' rounds of ' + SETTINGS.seconds + ' s each, ' +
      SETTINGS.connections + ' connections; gateway on CPU ' + SETTINGS.gatewayCpu + ', wrk on CPU ' + SETTINGS.loadCpu +
      ', upstream on CPU ' + SETTINGS.upstreamCpu);

    const measure = async function (v, seconds, connections) {
      // --perf: a CPU profile of the gateway worker per variant (perf report -i <file> shows where time goes)
      const perf = PERF_DIR ? spawn('perf', ['record', '-q', '-F', '2000', '-p', String(v.gw.worker), '-o', join(PERF_DIR, v.id + '.data'), '--', 'sleep', String(seconds)], { stdio: 'ignore' }) : undefined;
      const before = cpuTicks(v.gw.worker);
      const core0 = coreTicks(SETTINGS.gatewayCpu);
      const r = await runWrk({ cpu: SETTINGS.loadCpu, connections: connections || SETTINGS.connections, seconds, script: join(BENCH, 'report.lua'),
        headers: v.headers, url: v.url, bodyFile: v.bodyFile });
      const ticks = cpuTicks(v.gw.worker) - before;
      const core1 = coreTicks(SETTINGS.gatewayCpu);
      if (perf) await new Promise(function (res) { if (perf.exitCode !== null) res(); else perf.once('exit', res); });
      if (r.errors > 0 || r.status_errors > 0) throw new Error(v.id + ': wrk saw errors ' + JSON.stringify(r) + '\n' + v.gw.nginx.errorLog());
      return {
        rps: r.requests / (r.duration_us / 1e6),
        p50_us: r.p50_us,
        p99_us: r.p99_us,
        cpu_us: ticks * TICK_US / r.requests,
        // below about 0.95 the gateway was not the bottleneck: req/s then says more about the load side
        gateway_busy: ticks * TICK_US / r.duration_us,
        requests: r.requests,
        // share of the gateway's core used by anything but the gateway worker during the run
        foreign: Math.max(0, (core1.busy - core0.busy - ticks) / (core1.total - core0.total)),
        steal: (core1.steal - core0.steal) / (core1.total - core0.total),
      };
    };

    const rssBefore = {};
    for (const v of variants) await measure(v, SETTINGS.warmupSeconds);
    for (const regions of tableSizes) rssBefore['gateway_' + regions] = rssKiB(gateways[regions].worker);
    if (FULL_SET) rssBefore.plain = rssKiB(plain.worker);

    const load = [loadavg()[0]];
    const samples = {};
    for (const v of variants) samples[v.id] = [];
    // Latency without queueing: one connection, one request at a time, for the main paths. Under full load
    // (the other runs) latency is mostly waiting behind other requests, i.e. throughput.
    const LATENCY_IDS = ['static_get', 'static_post', 'map', 'cookie', 'bearer', 'form'];
    const latencyVariants = variants.filter(function (v) { return LATENCY_IDS.includes(v.id); });
    const latency = {};
    for (const v of latencyVariants) latency[v.id] = [];
    for (let round = 0; round < SETTINGS.rounds; round++) {
      const order = shuffled(variants, round + 1);
      for (const v of order) samples[v.id].push(await measure(v, SETTINGS.seconds));
      for (const v of shuffled(latencyVariants, round + 101)) latency[v.id].push(await measure(v, SETTINGS.seconds, 1));
      load.push(loadavg()[0]);
      log('bench: round ' + (round + 1) + '/' + SETTINGS.rounds + ' done');
    }

    const memory = {};
    for (const regions of tableSizes) {
      memory['gateway_' + regions] = { before_kib: rssBefore['gateway_' + regions], after_kib: rssKiB(gateways[regions].worker) };
    }
    if (FULL_SET) memory.plain = { before_kib: rssBefore.plain, after_kib: rssKiB(plain.worker) };

    for (const gw of Object.values(gateways)) {
      if (brokenLines(gw.nginx.errorLog()).length) throw new Error('gateway error log:\n' + gw.nginx.errorLog());
    }

    const results = summarize({ variants, samples, latency, memory, settings: SETTINGS, quick: QUICK });
    results.machine = {
      date: new Date().toISOString(),
      cores: cpus().length,
      cpu_model: cpus()[0].model,
      nginx: (spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.match(/nginx\/[\d.]+/) || ['?'])[0],
      njs: 'njs/' + spawnSync('njs', ['-v'], { encoding: 'utf8' }).stdout.trim(),
      wrk: (spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout.match(/wrk [^ ]+/) || ['?'])[0],
      loadavg_1m: load,
      wall_seconds: Math.round((Date.now() - started) / 1000),
    };
    const table = formatTable(results);
    process.stdout.write(table + '\n');
    if (!QUICK && only < 0) {
      writeFileSync(join(BENCH, 'results.json'), JSON.stringify(results, null, 2) + '\n');
      const readmePath = join(BENCH, 'README.md');
      const readme = readFileSync(readmePath, 'utf8');
      const start = '<!-- results:start -->';
      const end = '<!-- results:end -->';
      const a = readme.indexOf(start);
      const z = readme.indexOf(end);
      if (a < 0 || z < a) throw new Error('bench/README.md has no results markers');
      writeFileSync(readmePath, readme.slice(0, a + start.length) + '\n' + table + '\n' + readme.slice(z));
      log('bench: wrote bench/results.json and the results in bench/README.md');
    } else {
      log('bench: partial run, bench/results.json and bench/README.md left unchanged');
    }
  } finally {
    await stopAll();
  }
}

/** A reproducible shuffle (mulberry32), so each round runs the variants in a different order. */
function shuffled(list, seed) {
  let s = seed * 0x9e3779b9;
  const random = function () {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = list.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const x = out[i]; out[i] = out[j]; out[j] = x;
  }
  return out;
}

main().catch(function (e) {
  console.error('bench: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
