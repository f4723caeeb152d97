// Medians, paired per-round comparisons against the plain-NGINX variants, the targets, and the
// Markdown table printed by `npm run bench` and kept in bench/README.md.

function median(values) {
  const s = values.slice().sort(function (a, b) { return a - b; });
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** (max - min) / median: how much one variant moved between rounds. */
function spread(values) {
  return (Math.max.apply(null, values) - Math.min.apply(null, values)) / median(values);
}

// Each comparison is made within a round (both ran seconds apart), then the median over rounds is taken.
const COMPARISONS = [
  { id: 'cookie_vs_map', num: 'cookie', den: 'map', cpuOver: 'map', rpsTarget: 0.97, cpuTarget: 1 },
  { id: 'bearer_vs_static_get', num: 'bearer', den: 'static_get', cpuOver: 'map', rpsTarget: 0.90, cpuTarget: 6 },
  { id: 'form_vs_static_post', num: 'form', den: 'static_post', cpuOver: 'map', rpsTarget: 0.85, cpuTarget: 8 },
  { id: 'bearer_4k_vs_static_get_4k', num: 'bearer_4k', den: 'static_get_4k' },
  { id: 'bearer_8k_vs_static_get_8k', num: 'bearer_8k', den: 'static_get_8k' },
  { id: 'form_4k_vs_static_post_4k', num: 'form_4k', den: 'static_post_4k' },
  { id: 'form_8k_vs_static_post_8k', num: 'form_8k', den: 'static_post_8k' },
  { id: 'cookie_r10_vs_map_r10', num: 'cookie_r10', den: 'map_r10' },
  { id: 'cookie_r50_vs_map_r50', num: 'cookie_r50', den: 'map_r50' },
  { id: 'bearer_r10_vs_map_r10', num: 'bearer_r10', den: 'map_r10' },
  { id: 'bearer_r50_vs_map_r50', num: 'bearer_r50', den: 'map_r50' },
  { id: 'form_r10_vs_map_r10', num: 'form_r10', den: 'map_r10' },
  { id: 'form_r50_vs_map_r50', num: 'form_r50', den: 'map_r50' },
  { id: 'floor_js_set_vs_static_get', num: 'floor_js_set', den: 'static_get' },
  { id: 'floor_js_content_vs_static_post', num: 'floor_js_content', den: 'static_post' },
  { id: 'floor_mirror_vs_static_post', num: 'floor_mirror', den: 'static_post' },
  { id: 'cookie_vs_cookie_baseline', num: 'cookie', den: 'cookie_baseline' },
  { id: 'bearer_vs_bearer_baseline', num: 'bearer', den: 'bearer_baseline' },
  { id: 'form_vs_form_baseline', num: 'form', den: 'form_baseline' },
  { id: 'static_get_vs_plain_static_get', num: 'static_get', den: 'plain_static_get' },
];
const P99_TARGET_US = 200;

function best(list, key) {
  return Math.min.apply(null, list.map(function (x) { return x[key]; }));
}

function paired(samples, num, den, pick) {
  const out = [];
  for (let i = 0; i < samples[num].length; i++) out.push(pick(samples[num][i], samples[den][i]));
  return median(out);
}

export function summarize(input) {
  const samples = input.samples;
  const variants = {};
  for (const v of input.variants) {
    const s = samples[v.id];
    const pick = function (k) { return s.map(function (x) { return x[k]; }); };
    variants[v.id] = {
      label: v.label,
      rps: median(pick('rps')),
      p50_us: median(pick('p50_us')),
      p99_us: median(pick('p99_us')),
      cpu_us_per_request: median(pick('cpu_us')),
      // other load only ever adds CPU time (cache, shared core), so the best round is the least disturbed
      cpu_us_per_request_best: Math.min.apply(null, pick('cpu_us')),
      gateway_busy: median(pick('gateway_busy')),
      requests_per_round: median(pick('requests')),
      rps_spread: spread(pick('rps')),
      cpu_spread: spread(pick('cpu_us')),
      foreign_cpu_on_gateway_core: median(pick('foreign')),
      steal_on_gateway_core: median(pick('steal')),
      rounds: s,
    };
  }
  const comparisons = {};
  for (const c of COMPARISONS) {
    if (!samples[c.num] || !samples[c.den]) continue;
    const r = {
      rps_ratio: paired(samples, c.num, c.den, function (a, b) { return a.rps / b.rps; }),
      cpu_added_us: paired(samples, c.num, c.den, function (a, b) { return a.cpu_us - b.cpu_us; }),
      p99_added_us: paired(samples, c.num, c.den, function (a, b) { return a.p99_us - b.p99_us; }),
    };
    if (c.cpuOver) {
      r.cpu_over_map_us = paired(samples, c.num, c.cpuOver, function (a, b) { return a.cpu_us - b.cpu_us; });
      r.cpu_over_map_us_best_rounds = best(samples[c.num], 'cpu_us') - best(samples[c.cpuOver], 'cpu_us');
      r.targets = {
        rps_ratio: { target: '>= ' + c.rpsTarget, met: r.rps_ratio >= c.rpsTarget },
        cpu_over_map_us: { target: '<= ' + c.cpuTarget, met: r.cpu_over_map_us <= c.cpuTarget },
      };
      const lat = input.latency || {};
      if (lat[c.num] && lat[c.den] && lat[c.num].length > 0) {
        r.one_connection = {
          p50_added_us: paired(lat, c.num, c.den, function (a, b) { return a.p50_us - b.p50_us; }),
          p99_added_us: paired(lat, c.num, c.den, function (a, b) { return a.p99_us - b.p99_us; }),
        };
        r.targets.p99_added_us_one_connection = { target: '< ' + P99_TARGET_US, met: r.one_connection.p99_added_us < P99_TARGET_US };
      }
    }
    comparisons[c.id] = r;
  }
  const allRounds = Object.values(variants);
  return {
    settings: input.settings,
    quick: input.quick,
    noise: {
      median_rps_spread: median(allRounds.map(function (v) { return v.rps_spread; })),
      median_cpu_spread: median(allRounds.map(function (v) { return v.cpu_spread; })),
      max_foreign_cpu_on_gateway_core: Math.max.apply(null, allRounds.map(function (v) { return v.foreign_cpu_on_gateway_core; })),
      max_steal_on_gateway_core: Math.max.apply(null, allRounds.map(function (v) { return v.steal_on_gateway_core; })),
    },
    variants,
    latency_one_connection: latencySummary(input.latency || {}),
    comparisons,
    memory: input.memory,
  };
}

function latencySummary(latency) {
  const out = {};
  for (const id of Object.keys(latency)) {
    if (latency[id].length === 0) continue;
    out[id] = {
      p50_us: median(latency[id].map(function (x) { return x.p50_us; })),
      p99_us: median(latency[id].map(function (x) { return x.p99_us; })),
      rps: median(latency[id].map(function (x) { return x.rps; })),
    };
  }
  return out;
}

const f0 = function (n) { return Math.round(n).toLocaleString('en-US'); };
const f2 = function (n) { return n.toFixed(2); };
const ms = function (us) { return (us / 1000).toFixed(3); };
const signed = function (n, digits) { return (n >= 0 ? '+' : '') + n.toFixed(digits); };
const pct = function (n) { return Math.round(n * 100) + '%'; };

export function formatTable(results) {
  const m = results.machine;
  const s = results.settings;
  const lines = [];
  lines.push('Measured ' + m.date.slice(0, 16).replace('T', ' ') + ' UTC on ' + m.cores + ' cores (' + m.cpu_model + '), ' +
    m.nginx + ', ' + m.njs + ', ' + m.wrk + '. ' + (results.quick ? 'QUICK run: ' : '') +
    s.rounds + ' interleaved rounds of ' + s.seconds + ' s per variant, ' + s.connections + ' connections; one nginx worker on CPU ' +
    s.gatewayCpu + ', wrk on CPU ' + s.loadCpu + ', upstream nginx on CPU ' + s.upstreamCpu + '; ' + m.wall_seconds + ' s in all.');
  lines.push('');
  lines.push('Noise: req/s moved ' + pct(results.noise.median_rps_spread) + ' and CPU/request ' + pct(results.noise.median_cpu_spread) +
    ' between rounds (median of (max-min)/median over variants); other processes took up to ' +
    pct(results.noise.max_foreign_cpu_on_gateway_core) + ' of the gateway\'s core and the hypervisor (steal) up to ' +
    pct(results.noise.max_steal_on_gateway_core) + '; 1-minute load average ' +
    m.loadavg_1m.map(f2).join(' -> ') + '.');
  lines.push('');
  lines.push('| variant | req/s | p50 ms | p99 ms | gateway CPU us/request | best round | gateway core busy |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const v of Object.values(results.variants)) {
    lines.push('| ' + v.label + ' | ' + f0(v.rps) + ' | ' + ms(v.p50_us) + ' | ' + ms(v.p99_us) + ' | ' + f2(v.cpu_us_per_request) + ' | ' + f2(v.cpu_us_per_request_best) + ' | ' + pct(v.gateway_busy) + ' |');
  }
  lines.push('');
  lines.push('| comparison (paired per round, median) | req/s ratio | added CPU us/request | added p99 ms under load | CPU over map, us (best rounds) | added p50 / p99 ms, 1 connection | targets |');
  lines.push('|---|---:|---:|---:|---:|---:|---|');
  for (const id of Object.keys(results.comparisons)) {
    const c = results.comparisons[id];
    let targets = '';
    if (c.targets) {
      targets = Object.keys(c.targets).map(function (k) {
        return (c.targets[k].met ? 'met ' : 'MISSED ') + k.replace(/_/g, ' ') + ' ' + c.targets[k].target;
      }).join('; ');
    }
    lines.push('| ' + id.replace(/_vs_/, ' / ').replace(/_/g, ' ') + ' | ' + f2(c.rps_ratio) + 'x | ' + signed(c.cpu_added_us, 2) + ' | ' +
      signed(c.p99_added_us / 1000, 3) + ' | ' +
      (c.cpu_over_map_us === undefined ? '' : signed(c.cpu_over_map_us, 2) + ' (' + signed(c.cpu_over_map_us_best_rounds, 2) + ')') + ' | ' +
      (c.one_connection ? signed(c.one_connection.p50_added_us / 1000, 3) + ' / ' + signed(c.one_connection.p99_added_us / 1000, 3) : '') + ' | ' + targets + ' |');
  }
  lines.push('');
  lines.push('| one request at a time (1 connection) | req/s | p50 ms | p99 ms |');
  lines.push('|---|---:|---:|---:|');
  for (const id of Object.keys(results.latency_one_connection)) {
    const l = results.latency_one_connection[id];
    lines.push('| ' + results.variants[id].label + ' | ' + f0(l.rps) + ' | ' + ms(l.p50_us) + ' | ' + ms(l.p99_us) + ' |');
  }
  lines.push('');
  lines.push('| nginx worker | VmRSS after warm-up | VmRSS after the run |');
  lines.push('|---|---:|---:|');
  for (const k of Object.keys(results.memory)) {
    const label = k === 'plain' ? 'nginx without njs (static only)' : 'gateway with the module, ' + k.replace('gateway_', '') + ' regions';
    lines.push('| ' + label + ' | ' + f0(results.memory[k].before_kib) + ' KiB | ' + f0(results.memory[k].after_kib) + ' KiB |');
  }
  return lines.join('\n');
}
