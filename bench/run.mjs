// npm run bench -- [--runtime ID|all] [--quick] [--all] [--rounds N] [--seconds S] [--connections C]
//                  [--only id,id] [--baseline REF] [--instructions [--requests N] [--profiles DIR]]
// What a token request costs with the router, against the least code that reads the same claim (the
// minimal decoder in njs, and in Lua), on each runtime. Real nginx with the shipped example config and
// built bundle, wrk as the load generator, an upstream nginx that answers at once, all on 127.0.0.1.
// Variants run in interleaved rounds (shuffled order each round) so machine noise hits all alike; the
// measure is the nginx worker's CPU time per request, compared per round, medians reported.
// --instructions counts instructions per request under callgrind instead (bench/instructions.mjs).
// Full runs write bench/results.json (per runtime) and the results blocks of bench/README.md.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokenLines } from '../dev/logs.mjs';
import { startNginx } from '../dev/nginx.mjs';
import { ROOT } from '../dev/paths.mjs';
import { freePort } from '../dev/ports.mjs';
import { RUNTIMES, runtimeById } from '../dev/runtimes.mjs';
import { renderUpstream } from './configs.mjs';
import { countInstructions } from './instructions.mjs';
import { coreTicks, cpuTicks, rssKiB, runWrk, TICK_US, workerOf } from './processes.mjs';
import { formatAll, formatInstructions, formatTiming, summarize, summarizeInstructions } from './report.mjs';
import { nginxRuntime, prepareRuntime } from './runtime.mjs';
import { headerObject, makeRequests, plan, SIZES } from './variants.mjs';

const BENCH = join(ROOT, 'bench');
const argv = process.argv.slice(2);
function option(name, fallback) {
  const i = argv.indexOf('--' + name);
  return i < 0 ? fallback : argv[i + 1];
}
const QUICK = argv.includes('--quick');
const ALL = argv.includes('--all');
const INSTRUCTIONS = argv.includes('--instructions');
const ONLY = option('only') ? option('only').split(',') : undefined;
const BASELINE = option('baseline');
const SETTINGS = {
  rounds: Number(option('rounds', QUICK ? 2 : 8)),
  seconds: Number(option('seconds', 1)),
  warmupSeconds: 1,
  connections: Number(option('connections', 16)),
  gatewayCpu: 0,
  loadCpu: 1,
};
const runtimeOption = option('runtime', 'bookworm-njs');
const WANTED = runtimeOption === 'all' ? RUNTIMES.slice() : runtimeOption.split(',').map(runtimeById);
// --quick: 1 KB only, no floors; --all: also 8 KB and 10- and 50-region tables
const SIZE_IDS = QUICK ? ['1k'] : ALL ? ['350b', '1k', '4k', '8k'] : ['350b', '1k', '4k'];
const WRITES = !QUICK && !ONLY;

function log(message) {
  process.stderr.write(message + '\n');
}

function listeners(ports) {
  return Object.values(ports).map(function (p) {
    return { host: '127.0.0.1', port: p };
  });
}

function build(dir) {
  const b = spawnSync(process.execPath, [join(dir, 'build', 'build.mjs')], { stdio: 'inherit' });
  if (b.status !== 0) throw new Error('build failed in ' + dir);
}

/**
 * --baseline REF: REF's tree as a user would have installed it (its bundle built from its src/, its snippets,
 * its example), for the same rounds.
 */
function buildBaseline(work, ref) {
  const dir = join(work, 'baseline');
  mkdirSync(dir);
  const archive = spawnSync(
    'sh',
    ['-c', 'git -C "$0" archive "$1" src build dev nginx | tar -x -C "$2"', ROOT, ref, dir],
    {
      stdio: 'inherit',
    },
  );
  if (archive.status !== 0) throw new Error('could not extract ' + ref);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  build(dir);
  return dir;
}

/** Every variant must reach the us upstream, or it measures the wrong thing. */
async function checkRoutes(variants, errorLogOf) {
  for (const v of variants) {
    const res = await fetch(v.url, {
      method: v.bodyFile ? 'POST' : 'GET',
      headers: headerObject(v),
      body: v.bodyFile ? readFileSync(v.bodyFile) : undefined,
    });
    const text = await res.text();
    if (res.status !== 200 || text !== 'us\n') {
      throw new Error(
        v.id + ': expected the us upstream, got ' + res.status + ' ' + JSON.stringify(text) + '\n' + errorLogOf(v),
      );
    }
  }
}

/** One runtime's timing run: start its processes, check, warm up, interleaved rounds, summary. */
async function timeRuntime(prepared, ctx) {
  const started = Date.now();
  const p = await plan({
    prepared,
    sizes: ctx.sizes,
    requests: ctx.requests,
    regionTables: ALL ? [2, 10, 50] : [2],
    work: ctx.work,
    upstreamPorts: ctx.upstreamPorts,
    baselineRoot: ctx.baselineRoot,
    baselineRef: BASELINE,
    floors: !QUICK,
  });
  const variants = ONLY
    ? p.variants.filter(function (v) {
        return ONLY.includes(v.id);
      })
    : p.variants;
  if (variants.length === 0)
    throw new Error(
      '--only matched no variant; ids: ' +
        p.variants
          .map(function (v) {
            return v.id;
          })
          .join(', '),
    );
  const needed = p.processes.filter(function (proc) {
    return variants.some(function (v) {
      return v.process === proc.name;
    });
  });
  const running = {};
  try {
    for (const proc of needed) {
      const nginx = await startNginx(proc.render({ cpu: SETTINGS.gatewayCpu }), {
        name: 'bench-' + proc.name,
        listen: listeners(proc.ports),
        runtime: nginxRuntime(proc.image, [ctx.work]),
      });
      running[proc.name] = { nginx, worker: workerOf(nginx.prefix) };
    }
    await checkRoutes(variants, function (v) {
      return running[v.process].nginx.errorLog();
    });
    log(
      'bench: ' +
        prepared.runtime.id +
        ': ' +
        variants.length +
        ' variants route as expected; ' +
        SETTINGS.rounds +
        ' rounds of ' +
        SETTINGS.seconds +
        ' s each, ' +
        SETTINGS.connections +
        ' connections',
    );

    const measure = async function (v, seconds) {
      const worker = running[v.process].worker;
      const before = cpuTicks(worker);
      const core0 = coreTicks(SETTINGS.gatewayCpu);
      const r = await runWrk({
        cpu: SETTINGS.loadCpu,
        connections: SETTINGS.connections,
        seconds,
        script: join(BENCH, 'report.lua'),
        headers: v.headers,
        url: v.url,
        bodyFile: v.bodyFile,
      });
      const ticks = cpuTicks(worker) - before;
      const core1 = coreTicks(SETTINGS.gatewayCpu);
      if (r.errors > 0 || r.status_errors > 0)
        throw new Error(v.id + ': wrk saw errors ' + JSON.stringify(r) + '\n' + running[v.process].nginx.errorLog());
      return {
        rps: r.requests / (r.duration_us / 1e6),
        p50_us: r.p50_us,
        p99_us: r.p99_us,
        cpu_us: (ticks * TICK_US) / r.requests,
        // below about 0.95 the worker was not the bottleneck: req/s then says more about the load side
        gateway_busy: (ticks * TICK_US) / r.duration_us,
        requests: r.requests,
        // share of the measured core used by anything but the measured worker
        foreign: Math.max(0, (core1.busy - core0.busy - ticks) / (core1.total - core0.total)),
        steal: (core1.steal - core0.steal) / (core1.total - core0.total),
      };
    };

    for (const v of variants) await measure(v, SETTINGS.warmupSeconds);
    const memory = {};
    for (const name of Object.keys(running)) memory[name] = { before_kib: rssKiB(running[name].worker) };
    const load = [loadavg()[0]];
    const samples = {};
    for (const v of variants) samples[v.id] = [];
    for (let round = 0; round < SETTINGS.rounds; round++) {
      for (const v of shuffled(variants, round + 1)) samples[v.id].push(await measure(v, SETTINGS.seconds));
      load.push(loadavg()[0]);
      log('bench: ' + prepared.runtime.id + ': round ' + (round + 1) + '/' + SETTINGS.rounds + ' done');
    }
    for (const name of Object.keys(running)) memory[name].after_kib = rssKiB(running[name].worker);
    for (const name of Object.keys(running)) {
      const broken = brokenLines(running[name].nginx.errorLog());
      if (broken.length) throw new Error(name + ' error log:\n' + broken.join('\n'));
    }
    return summarize({
      variants,
      samples,
      memory,
      settings: SETTINGS,
      quick: QUICK,
      meta: Object.assign(runtimeMeta(prepared, ctx), {
        machine: {
          cores: cpus().length,
          cpu_model: cpus()[0].model,
          wrk: (spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout.match(/wrk [^ ]+/) || ['wrk ?'])[0],
          loadavg_1m: load,
          wall_seconds: Math.round((Date.now() - started) / 1000),
        },
        baseline: BASELINE,
      }),
    });
  } finally {
    for (const name of Object.keys(running)) await running[name].nginx.stop();
  }
}

function runtimeMeta(prepared, ctx) {
  const tokenBytes = {};
  for (const s of ctx.sizes) tokenBytes[s.id] = ctx.requests[s.id].bytes;
  return {
    runtime: prepared.runtime.id,
    date: new Date().toISOString(),
    versions: prepared.versions,
    image: prepared.tag,
    lua: prepared.lua.available ? prepared.lua.version : undefined,
    lua_reason: prepared.lua.available ? undefined : prepared.lua.reason,
    token_bytes: tokenBytes,
  };
}

/** results.json: { timing: { runtime: results }, instructions: { runtime: results } }; README from all of it. */
function write(kind, byRuntime) {
  const jsonPath = join(BENCH, 'results.json');
  let stored = {};
  if (existsSync(jsonPath)) {
    try {
      stored = JSON.parse(readFileSync(jsonPath, 'utf8'));
    } catch (e) {
      stored = {};
    }
  }
  if (!stored.timing) stored = { timing: {}, instructions: stored.instructions || {} };
  stored[kind] = Object.assign(stored[kind] || {}, byRuntime);
  writeFileSync(jsonPath, compactJson(stored) + '\n');
  const blocks = formatAll(stored);
  const readmePath = join(BENCH, 'README.md');
  let readme = readFileSync(readmePath, 'utf8');
  for (const name of ['timing', 'instructions']) {
    const start = '<!-- ' + name + ':start -->';
    const end = '<!-- ' + name + ':end -->';
    const a = readme.indexOf(start);
    const z = readme.indexOf(end);
    if (a < 0 || z < a) throw new Error('bench/README.md has no ' + name + ' markers');
    readme = readme.slice(0, a + start.length) + '\n' + blocks[name] + '\n' + readme.slice(z);
  }
  writeFileSync(readmePath, readme);
  log('bench: wrote bench/results.json and bench/README.md');
}

/** JSON with 2-space indents, but objects of plain values (per-round samples) and lists of numbers on one line. */
function compactJson(value) {
  const rounded = JSON.stringify(
    value,
    function (key, x) {
      return typeof x === 'number' && !Number.isInteger(x) ? Number(x.toPrecision(6)) : x;
    },
    2,
  );
  return rounded
    .replace(/\{\n\s+([^{}[\]]*?)\n\s*\}/g, function (all, inner) {
      return '{ ' + inner.replace(/\n\s+/g, ' ') + ' }';
    })
    .replace(/\[\n\s+([-\d.,\s]*?)\n\s*\]/g, function (all, inner) {
      return '[' + inner.replace(/\n\s+/g, ' ') + ']';
    });
}

async function main() {
  log('bench: building dist/ (the shipped bundle)');
  build(ROOT);
  const work = mkdtempSync(join(tmpdir(), 'region-router-bench-'));
  let upstream;
  const stop = async function () {
    if (upstream) await upstream.stop();
    rmSync(work, { recursive: true, force: true });
  };
  process.once('SIGINT', function () {
    stop().then(function () {
      process.exit(130);
    });
  });
  try {
    const sizes = SIZES.filter(function (s) {
      return SIZE_IDS.includes(s.id);
    });
    const requests = await makeRequests(sizes, work);
    const upstreamPorts = { eu: await freePort(), us: await freePort() };
    // the upstream shares CPU 1 with wrk: on the measured core it would take time from the worker measured
    upstream = await startNginx(renderUpstream({ cpu: SETTINGS.loadCpu, ports: upstreamPorts }), {
      name: 'bench-upstream',
      listen: listeners(upstreamPorts),
    });
    const ctx = {
      work,
      sizes,
      requests,
      upstreamPorts,
      baselineRoot: BASELINE ? buildBaseline(work, BASELINE) : undefined,
    };
    const results = {};
    for (const rt of WANTED) {
      const prepared = prepareRuntime(rt, { log, needBenchImage: true });
      if (!prepared.lua.available) log('bench: ' + rt.id + ': no Lua reference: ' + prepared.lua.reason);
      if (INSTRUCTIONS) {
        const counted = await countInstructions(prepared, ctx, {
          plan,
          log,
          only: ONLY,
          requests: Number(option('requests', QUICK ? 50 : 200)),
          regionTables: [2],
          floors: !QUICK,
          profiles: option('profiles', undefined),
          baselineRef: BASELINE,
        });
        results[rt.id] = summarizeInstructions(Object.assign(counted, { meta: runtimeMeta(prepared, ctx) }));
        process.stdout.write(formatInstructions(results[rt.id]) + '\n\n');
      } else {
        results[rt.id] = await timeRuntime(prepared, ctx);
        process.stdout.write(formatTiming(results[rt.id]) + '\n\n');
      }
    }
    if (WRITES) write(INSTRUCTIONS ? 'instructions' : 'timing', results);
    else log('bench: partial run (--quick or --only): bench/results.json and bench/README.md left unchanged');
  } finally {
    await stop();
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
    const x = out[i];
    out[i] = out[j];
    out[j] = x;
  }
  return out;
}

main().catch(function (e) {
  console.error('bench: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
