// From samples to results (medians, paired per-round comparisons), and from results to the Markdown kept
// in bench/README.md: one section per runtime for the timing runs, one table per runtime for the
// instruction counts.
import { RUNTIMES } from '../dev/runtimes.mjs';
import { SIZES } from './variants.mjs';

const TARGET_RATIO = 1.0; // the issue: a token request costs what the minimal decoder costs, or less

function median(values) {
  const s = values.slice().sort(function (a, b) {
    return a - b;
  });
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** (max - min) / median: how much one variant moved between rounds. */
function spread(values) {
  return (Math.max.apply(null, values) - Math.min.apply(null, values)) / median(values);
}

/** Per round a - b (both ran seconds apart in the same round): median, range, and how many rounds a > b. */
function paired(samples, a, b) {
  if (!samples[a] || !samples[b]) return undefined;
  const d = samples[a].map(function (x, i) {
    return x.cpu_us - samples[b][i].cpu_us;
  });
  const higher = d.filter(function (x) {
    return x > 0;
  }).length;
  return {
    median: median(d),
    min: Math.min.apply(null, d),
    max: Math.max.apply(null, d),
    higher,
    rounds: d.length,
    // every round agrees on the sign: with 8 rounds, chance alone does that 1 time in 128
    outside_noise: d.length > 1 && (higher === d.length || higher === 0),
  };
}

/**
 * @param {object} input variants (plan), samples { id: [round sample] }, memory, settings, quick, meta
 */
export function summarize(input) {
  const samples = input.samples;
  const variants = {};
  for (const v of input.variants) {
    const s = samples[v.id];
    const pick = function (k) {
      return s.map(function (x) {
        return x[k];
      });
    };
    variants[v.id] = {
      label: v.label,
      kind: v.kind,
      path: v.path,
      size: v.size,
      process: v.process,
      cpu_us: median(pick('cpu_us')),
      // other load only ever adds CPU time (cache, shared core), so the best round is the least disturbed
      cpu_us_best: Math.min.apply(null, pick('cpu_us')),
      cpu_spread: spread(pick('cpu_us')),
      rps: median(pick('rps')),
      rps_spread: spread(pick('rps')),
      p50_us: median(pick('p50_us')),
      p99_us: median(pick('p99_us')),
      gateway_busy: median(pick('gateway_busy')),
      foreign_cpu_on_gateway_core: Math.max.apply(null, pick('foreign')),
      steal_on_gateway_core: Math.max.apply(null, pick('steal')),
      rounds: s,
    };
  }
  const cells = [];
  for (const path of ['bearer', 'form']) {
    for (const size of SIZES) {
      const st = 'static_' + path + '_' + size.id;
      if (!samples[st]) continue;
      const added = function (kind) {
        return paired(samples, kind + '_' + path + '_' + size.id, st);
      };
      const router = added('router');
      const minimal = added('minimal');
      const cell = {
        path,
        size: size.id,
        static_us: variants[st].cpu_us,
        router_added_us: router && router.median,
        minimal_added_us: minimal && minimal.median,
        lua_added_us: (added('lua') || {}).median,
        baseline_added_us: (paired(samples, 'router_' + path + '_' + size.id + '_baseline', st) || {}).median,
        router_minus_minimal: paired(samples, 'router_' + path + '_' + size.id, 'minimal_' + path + '_' + size.id),
      };
      if (router && minimal) {
        cell.ratio = router.median / minimal.median;
        cell.met = cell.ratio <= TARGET_RATIO;
      }
      cells.push(cell);
    }
  }
  const cookie = [];
  for (const suffix of ['', '_r10', '_r50']) {
    const d = paired(samples, 'cookie' + suffix, 'map' + suffix);
    if (d)
      cookie.push({
        regions: suffix ? Number(suffix.slice(2)) : 2,
        map_us: variants['map' + suffix].cpu_us,
        cookie_us: variants['cookie' + suffix].cpu_us,
        added: d,
      });
  }
  const others = {};
  const other = function (id, a, b) {
    const d = paired(samples, a, b);
    if (d) others[id] = d;
  };
  other('floor_js_set_over_static_bearer_1k', 'floor_js_set', 'static_bearer_1k');
  other('floor_js_content_over_static_form_1k', 'floor_js_content', 'static_form_1k');
  other('static_bearer_1k_over_plain', 'static_bearer_1k', 'plain_static_get');
  other('cookie_over_baseline', 'cookie', 'cookie_baseline');
  // what counting (nginx/metrics-http.conf) adds, on runtimes with a shared dictionary
  other('cookie_metrics_over_cookie', 'cookie_metrics', 'cookie');
  other('router_bearer_1k_metrics_over_router_bearer_1k', 'router_bearer_1k_metrics', 'router_bearer_1k');
  for (const s of SIZES) {
    for (const path of ['bearer', 'form'])
      other(
        'router_' + path + '_' + s.id + '_over_baseline',
        'router_' + path + '_' + s.id,
        'router_' + path + '_' + s.id + '_baseline',
      );
  }
  const all = Object.values(variants);
  return Object.assign({}, input.meta, {
    settings: input.settings,
    quick: input.quick,
    noise: {
      median_cpu_spread: median(
        all.map(function (v) {
          return v.cpu_spread;
        }),
      ),
      median_rps_spread: median(
        all.map(function (v) {
          return v.rps_spread;
        }),
      ),
      max_foreign_cpu_on_gateway_core: Math.max.apply(
        null,
        all.map(function (v) {
          return v.foreign_cpu_on_gateway_core;
        }),
      ),
      max_steal_on_gateway_core: Math.max.apply(
        null,
        all.map(function (v) {
          return v.steal_on_gateway_core;
        }),
      ),
    },
    cells,
    cookie,
    others,
    memory: input.memory,
    variants,
  });
}

const f0 = function (n) {
  return Math.round(n).toLocaleString('en-US');
};
const f1 = function (n) {
  return n === undefined ? '' : n.toFixed(1);
};
const s1 = function (n) {
  return n === undefined ? '' : (n >= 0 ? '+' : '') + n.toFixed(1);
};
const pct = function (n) {
  return Math.round(n * 100) + '%';
};
const sizeLabel = function (id) {
  return SIZES.find(function (s) {
    return s.id === id;
  }).label;
};
const ratio = function (r) {
  return r === undefined ? '' : r.toFixed(2) + 'x';
};

/** A Markdown table row of these cells. */
function row(cells) {
  return '| ' + cells.join(' | ') + ' |';
}

/** A cell's verdict against the 1.0x target: met, **missed**, or nothing where it was not measured. */
function metText(met) {
  return met === undefined ? '' : met ? 'met' : '**missed**';
}

function diffText(d) {
  if (!d) return '';
  return (
    s1(d.median) +
    ' (' +
    s1(d.min) +
    ' to ' +
    s1(d.max) +
    '), higher in ' +
    d.higher +
    '/' +
    d.rounds +
    (d.outside_noise ? ': outside the noise' : ': within the noise')
  );
}

/** One line: in how many cells the target is met (and, for timing, how many differences are outside the noise). */
function verdict(cells, timing) {
  const judged = cells.filter(function (c) {
    return c.met !== undefined;
  });
  const met = judged.filter(function (c) {
    return c.met;
  }).length;
  let line = 'Router added <= minimal added in ' + met + ' of ' + judged.length + ' cells';
  if (timing) {
    const clear = judged.filter(function (c) {
      return c.router_minus_minimal && c.router_minus_minimal.outside_noise;
    }).length;
    line += '; the router - minimal difference is outside the noise in ' + clear + ' of them';
  }
  return line + '.';
}

function title(r) {
  const rt = RUNTIMES.find(function (x) {
    return x.id === r.runtime;
  });
  return (
    r.runtime +
    ': ' +
    r.versions.nginx +
    ', ' +
    r.versions.njs +
    ', ' +
    (rt && rt.engine === 'qjs' ? 'QuickJS engine' : 'njs engine')
  );
}

/** The Markdown section of one runtime's timing run. */
export function formatTiming(r) {
  const s = r.settings;
  const m = r.machine;
  const lines = [];
  lines.push('### ' + title(r));
  lines.push('');
  lines.push(
    'Measured ' +
      r.date.slice(0, 16).replace('T', ' ') +
      ' UTC on ' +
      m.cores +
      ' cores (' +
      m.cpu_model +
      '), ' +
      (r.runtime === 'bookworm-njs' ? "the host's nginx" : 'nginx in ' + r.image) +
      '; ' +
      m.wrk +
      '. ' +
      (r.quick ? 'QUICK run: ' : '') +
      s.rounds +
      ' interleaved rounds of ' +
      s.seconds +
      ' s per variant, ' +
      s.connections +
      ' connections; the measured nginx worker on CPU ' +
      s.gatewayCpu +
      ', wrk and the upstream nginx on CPU ' +
      s.loadCpu +
      '; ' +
      m.wall_seconds +
      ' s in all. Tokens (ES256 JWS): ' +
      Object.keys(r.token_bytes)
        .map(function (k) {
          return f0(r.token_bytes[k]) + ' B';
        })
        .join(', ') +
      '. ' +
      (r.lua ? 'Lua: lua-nginx-module ' + r.lua + ' (Debian).' : 'Lua: not measured (' + r.lua_reason + ').'),
  );
  lines.push('');
  lines.push(
    "Noise: a variant's CPU time per request moved " +
      pct(r.noise.median_cpu_spread) +
      ' between rounds (median over variants of ' +
      '(max - min) / median); other processes took up to ' +
      pct(r.noise.max_foreign_cpu_on_gateway_core) +
      ' of the measured core, the hypervisor ' +
      pct(r.noise.max_steal_on_gateway_core) +
      '; 1-minute load average ' +
      m.loadavg_1m
        .map(function (x) {
          return x.toFixed(1);
        })
        .join(' -> ') +
      '.',
  );
  lines.push('');
  lines.push(
    '| path | token | static us/request | router added | minimal added | Lua added | router / minimal | <= 1.0x | router - minimal, us: median (range), rounds router higher |',
  );
  lines.push('|---|---|---:|---:|---:|---:|---:|---|---|');
  for (const c of r.cells) {
    lines.push(
      row([
        c.path,
        sizeLabel(c.size),
        f1(c.static_us),
        s1(c.router_added_us),
        s1(c.minimal_added_us),
        s1(c.lua_added_us),
        ratio(c.ratio),
        metText(c.met),
        diffText(c.router_minus_minimal),
      ]),
    );
  }
  lines.push('');
  lines.push(verdict(r.cells, true));
  lines.push('');
  if (r.cookie.length) {
    lines.push(
      '| cookie path | map $cookie_zone us/request | router us/request | router - map, us: median (range), rounds router higher |',
    );
    lines.push('|---|---:|---:|---|');
    for (const c of r.cookie) {
      lines.push(row([c.regions + ' regions', f1(c.map_us), f1(c.cookie_us), diffText(c.added)]));
    }
    lines.push('');
  }
  const o = r.others;
  const notes = [];
  if (o.floor_js_set_over_static_bearer_1k)
    notes.push(
      'a js_set returning a constant ' + s1(o.floor_js_set_over_static_bearer_1k.median) + ' us over static GET',
    );
  if (o.floor_js_content_over_static_form_1k)
    notes.push(
      'a js_content that reads the body and redirects ' +
        s1(o.floor_js_content_over_static_form_1k.median) +
        ' us over static POST',
    );
  if (o.static_bearer_1k_over_plain)
    notes.push(
      'static GET in the gateway ' + s1(o.static_bearer_1k_over_plain.median) + ' us over nginx without modules',
    );
  if (notes.length) {
    lines.push('Floors (1 KB): ' + notes.join('; ') + '.');
    lines.push('');
  }
  const base = Object.keys(o).filter(function (k) {
    return /_over_baseline$/.test(k);
  });
  if (base.length) {
    lines.push(
      'Against --baseline ' +
        r.baseline +
        ' (paired, us): ' +
        base
          .map(function (k) {
            return k.replace('_over_baseline', '') + ' ' + s1(o[k].median);
          })
          .join(', ') +
        '.',
    );
    lines.push('');
  }
  if (r.memory) {
    lines.push(
      'Worker memory (VmRSS after warm-up -> after the run): ' +
        Object.keys(r.memory)
          .map(function (k) {
            return (
              k +
              ' ' +
              (r.memory[k].before_kib / 1024).toFixed(1) +
              ' -> ' +
              (r.memory[k].after_kib / 1024).toFixed(1) +
              ' MB'
            );
          })
          .join('; ') +
        '.',
    );
    lines.push('');
  }
  lines.push('<details><summary>Every variant</summary>');
  lines.push('');
  lines.push('| variant | CPU us/request | best round | spread | req/s | p99 ms | worker busy |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const v of Object.values(r.variants)) {
    lines.push(
      row([
        v.label,
        f1(v.cpu_us),
        f1(v.cpu_us_best),
        pct(v.cpu_spread),
        f0(v.rps),
        (v.p99_us / 1000).toFixed(2),
        pct(v.gateway_busy),
      ]),
    );
  }
  lines.push('');
  lines.push('</details>');
  return lines.join('\n');
}

/** Instruction counts: per variant, and the comparison cells. */
export function summarizeInstructions(input) {
  const ir = input.instructions;
  const cells = [];
  for (const path of ['bearer', 'form']) {
    for (const size of SIZES) {
      const st = ir['static_' + path + '_' + size.id];
      if (st === undefined) continue;
      const added = function (kind) {
        const x = ir[kind + '_' + path + '_' + size.id];
        return x === undefined ? undefined : x - st;
      };
      const cell = {
        path,
        size: size.id,
        static: st,
        router_added: added('router'),
        minimal_added: added('minimal'),
        lua_added: added('lua'),
      };
      if (cell.router_added !== undefined && cell.minimal_added !== undefined) {
        cell.ratio = cell.router_added / cell.minimal_added;
        cell.met = cell.ratio <= TARGET_RATIO;
      }
      const then = ir['router_' + path + '_' + size.id + '_baseline'];
      if (then !== undefined && cell.router_added !== undefined) {
        cell.baseline_added = then - st;
        cell.over_baseline = cell.router_added / cell.baseline_added;
      }
      cells.push(cell);
    }
  }
  const cookie =
    ir.cookie !== undefined && ir.map !== undefined
      ? { map: ir.map, cookie: ir.cookie, added: ir.cookie - ir.map }
      : undefined;
  return Object.assign({}, input.meta, {
    baseline: input.baseline,
    requests: input.requests,
    warmup: input.warmup,
    valgrind: input.valgrind,
    per_request: ir,
    cells,
    cookie,
  });
}

const k = function (n) {
  return n === undefined ? '' : (n / 1000).toFixed(1) + 'k';
};
const sk = function (n) {
  return n === undefined ? '' : (n >= 0 ? '+' : '') + (n / 1000).toFixed(1) + 'k';
};

/** The Markdown table of one runtime's instruction counts. */
/** Instructions per request before and after, and the difference: "31.0k -> 31.1k (+0.1k)". */
function change(before, after) {
  return k(before) + ' -> ' + k(after) + ' (' + sk(after - before) + ')';
}

export function formatInstructions(r) {
  const lines = [];
  lines.push('#### ' + title(r));
  lines.push('');
  lines.push(
    'Counted ' +
      r.date.slice(0, 16).replace('T', ' ') +
      ' UTC, ' +
      r.valgrind +
      ', ' +
      r.requests +
      ' requests per variant after ' +
      r.warmup +
      ' of warm-up, one keepalive connection. ' +
      (r.lua ? 'Lua: lua-nginx-module ' + r.lua + '.' : 'Lua: not counted (' + r.lua_reason + ').'),
  );
  lines.push('');
  lines.push(
    '| path | token | static Ir/request | router added | minimal added | Lua added | router / minimal | <= 1.0x |',
  );
  lines.push('|---|---|---:|---:|---:|---:|---:|---|');
  for (const c of r.cells) {
    lines.push(
      row([
        c.path,
        sizeLabel(c.size),
        k(c.static),
        sk(c.router_added),
        sk(c.minimal_added),
        sk(c.lua_added),
        ratio(c.ratio),
        metText(c.met),
      ]),
    );
  }
  lines.push('');
  lines.push(verdict(r.cells, false));
  if (r.cookie) {
    lines.push('');
    lines.push(
      'Cookie path: map $cookie_zone ' +
        k(r.cookie.map) +
        ', router ' +
        k(r.cookie.cookie) +
        ' instructions per request (' +
        sk(r.cookie.added) +
        ').',
    );
  }
  const against = r.cells.filter(function (c) {
    return c.over_baseline !== undefined;
  });
  if (against.length) {
    lines.push('');
    lines.push(
      'Against ' + (r.baseline || 'the baseline') + ' (its bundle, snippets and example, counted in the same run):',
    );
    lines.push('');
    lines.push('| path | token | router added then | router added now | now / then | per request then -> now |');
    lines.push('|---|---|---:|---:|---:|---|');
    for (const c of against) {
      const then = r.per_request['router_' + c.path + '_' + c.size + '_baseline'];
      const now = r.per_request['router_' + c.path + '_' + c.size];
      lines.push(
        row([
          c.path,
          sizeLabel(c.size),
          sk(c.baseline_added),
          sk(c.router_added),
          ratio(c.over_baseline),
          change(then, now),
        ]),
      );
    }
    if (r.per_request.cookie_baseline !== undefined && r.per_request.cookie !== undefined) {
      lines.push('');
      lines.push('Cookie GET, then -> now: ' + change(r.per_request.cookie_baseline, r.per_request.cookie) + '.');
    }
  }
  const pr = r.per_request;
  if (pr.cookie_metrics !== undefined && pr.router_bearer_1k_metrics !== undefined) {
    lines.push('');
    lines.push(
      'With metrics (metrics-http.conf): cookie GET ' +
        change(pr.cookie, pr.cookie_metrics) +
        ', bearer GET 1 KB ' +
        change(pr.router_bearer_1k, pr.router_bearer_1k_metrics) +
        '.',
    );
  }
  const floors = ['floor_js_set', 'floor_js_content', 'plain_static_get'].filter(function (id) {
    return r.per_request[id] !== undefined;
  });
  if (floors.length) {
    lines.push('');
    lines.push(
      'Floors (1 KB): ' +
        floors
          .map(function (id) {
            return id + ' ' + k(r.per_request[id]);
          })
          .join(', ') +
        ' (static GET ' +
        k(r.per_request.static_bearer_1k) +
        ', static POST ' +
        k(r.per_request.static_form_1k) +
        ').',
    );
  }
  return lines.join('\n');
}

/** Both blocks of bench/README.md, from everything in results.json, in the order of RUNTIMES. */
export function formatAll(results) {
  const order = RUNTIMES.map(function (r) {
    return r.id;
  });
  const pickSorted = function (o) {
    return order
      .filter(function (id) {
        return o && o[id];
      })
      .map(function (id) {
        return o[id];
      });
  };
  return {
    timing: pickSorted(results.timing).map(formatTiming).join('\n\n') || '(no timing run yet)',
    instructions:
      pickSorted(results.instructions).map(formatInstructions).join('\n\n') || '(no instruction counts yet)',
  };
}
