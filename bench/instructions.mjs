// npm run bench -- --instructions: instructions per request of each variant under valgrind's callgrind.
// Timing on a shared 2-core machine moves by tens of percent between rounds; an instruction count does
// not, so this is how variants are compared while others use the machine. Each nginx process of the plan
// (bench/variants.mjs) runs as a single process (master_process off) under callgrind; per variant: a
// warm-up, counters zeroed, N requests on one keepalive connection, a dump; its total / N is the figure.
// The host runtime uses the host's valgrind; the others run in the release's bench image (bench/runtime.mjs).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokenLines } from '../dev/logs.mjs';
import { ROOT } from '../dev/paths.mjs';
import { waitForPort } from '../dev/ports.mjs';
import { runInImage } from '../dev/runtimes.mjs';
import { headerObject } from './variants.mjs';

const WARMUP = 100;
const sleep = function (ms) {
  return new Promise(function (r) {
    setTimeout(r, ms);
  });
};

/** One request on the agent's single keepalive connection; resolves with the answer's status and body. */
function request(v, agent) {
  return new Promise(function (resolve, reject) {
    const headers = headerObject(v);
    const body = v.bodyFile ? readFileSync(v.bodyFile) : undefined;
    if (body) headers['Content-Length'] = String(body.length);
    const req = http.request(v.url, { method: body ? 'POST' : 'GET', headers, agent }, function (res) {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', function (d) {
        text += d;
      });
      res.on('end', function () {
        resolve({ status: res.statusCode, text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** nginx under callgrind, on the host (tag undefined) or in the bench image. */
function startUnderCallgrind(conf, name, tag, work) {
  const prefix = mkdtempSync(join(tmpdir(), 'region-router-bench-ir-' + name + '-'));
  writeFileSync(join(prefix, 'nginx.conf'), 'daemon off;\n' + conf);
  const argv = [
    'valgrind',
    '--tool=callgrind',
    '--callgrind-out-file=' + join(prefix, 'cg.%p'),
    'nginx',
    '-p',
    prefix + '/',
    '-e',
    join(prefix, 'error.log'),
    '-c',
    join(prefix, 'nginx.conf'),
  ];
  const container = 'region-router-bench-ir-' + process.pid + '-' + name;
  let proc;
  if (tag) {
    spawnSync('docker', ['rm', '-f', container], { stdio: 'ignore' });
    const c = runInImage(tag, argv, { name: container, mounts: [ROOT, work, { host: prefix, readOnly: false }] });
    proc = spawn(c.cmd, c.args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } else {
    proc = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  let stderr = '';
  proc.stderr.on('data', function (d) {
    if (stderr.length < 20000) stderr += d;
  });
  const control = function (flag) {
    // vgdb, behind callgrind_control, must run beside the valgrind it talks to
    if (tag) execFileSync('docker', ['exec', container, 'callgrind_control', flag], { stdio: 'ignore' });
    else execFileSync('callgrind_control', [flag, String(proc.pid)], { stdio: 'ignore' });
  };
  return {
    prefix,
    control,
    errorLog: function () {
      return existsSync(join(prefix, 'error.log')) ? readFileSync(join(prefix, 'error.log'), 'utf8') : '';
    },
    stderr: function () {
      return stderr;
    },
    dumps: function () {
      return readdirSync(prefix).filter(function (f) {
        return /^cg\.\d+\.\d+$/.test(f);
      });
    },
    stop: async function () {
      proc.kill('SIGKILL');
      if (tag) spawnSync('docker', ['rm', '-f', container], { stdio: 'ignore', timeout: 20000 });
      await sleep(200);
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

/** The total of the dump callgrind writes after `callgrind_control -d`, once it is complete. */
async function newDump(nginx, known) {
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline) {
    for (const f of nginx.dumps()) {
      if (known.includes(f)) continue;
      const text = readFileSync(join(nginx.prefix, f), 'utf8');
      const m = /^totals: (\d+)/m.exec(text) || /^summary: (\d+)/m.exec(text);
      if (m) {
        known.push(f);
        return Number(m[1]);
      }
    }
    await sleep(100);
  }
  throw new Error('callgrind wrote no dump within 60 s');
}

/**
 * Instructions per request of every variant of the plan for one runtime.
 * @returns {Promise<{ instructions: Record<string, number>, requests: number, warmup: number, valgrind: string }>}
 */
export async function countInstructions(prepared, ctx, opts) {
  const tag = prepared.runtime.id === 'bookworm-njs' ? undefined : prepared.benchTag;
  if (prepared.runtime.id !== 'bookworm-njs' && !tag)
    throw new Error(prepared.runtime.id + ': no bench image with valgrind: ' + prepared.lua.reason);
  if (
    !tag &&
    spawnSync('sh', ['-c', 'command -v valgrind && command -v callgrind_control'], { stdio: 'ignore' }).status !== 0
  ) {
    throw new Error('--instructions on the host needs valgrind: apt-get install valgrind');
  }
  const valgrind = (
    tag
      ? spawnSync('docker', ['run', '--rm', tag, 'valgrind', '--version'], { encoding: 'utf8' })
      : spawnSync('valgrind', ['--version'], { encoding: 'utf8' })
  ).stdout.trim();
  const p = await opts.plan({
    prepared,
    sizes: ctx.sizes,
    requests: ctx.requests,
    regionTables: opts.regionTables,
    work: ctx.work,
    upstreamPorts: ctx.upstreamPorts,
    floors: opts.floors,
    baselineRoot: ctx.baselineRoot,
    baselineRef: opts.baselineRef,
  });
  const variants = opts.only
    ? p.variants.filter(function (v) {
        return opts.only.includes(v.id);
      })
    : p.variants;
  const out = {};
  for (const proc of p.processes) {
    const mine = variants.filter(function (v) {
      return v.process === proc.name;
    });
    if (mine.length === 0) continue;
    const nginx = startUnderCallgrind(proc.render({ single: true }), proc.name, tag, ctx.work);
    try {
      await Promise.all(
        Object.values(proc.ports).map(function (port) {
          return waitForPort('127.0.0.1', port, 180000);
        }),
      ).catch(function (e) {
        throw new Error(
          proc.name + ' did not start under valgrind: ' + e.message + '\n' + nginx.stderr() + nginx.errorLog(),
        );
      });
      const known = nginx.dumps();
      for (const v of mine) {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        for (let i = 0; i < WARMUP; i++) {
          const r = await request(v, agent);
          if (r.status !== 200 || r.text !== 'us\n')
            throw new Error(
              v.id +
                ': expected the us upstream, got ' +
                r.status +
                ' ' +
                JSON.stringify(r.text) +
                '\n' +
                nginx.errorLog(),
            );
        }
        nginx.control('-z');
        for (let i = 0; i < opts.requests; i++) await request(v, agent);
        nginx.control('-d');
        out[v.id] = (await newDump(nginx, known)) / opts.requests;
        if (opts.profiles) {
          mkdirSync(opts.profiles, { recursive: true });
          copyFileSync(
            join(nginx.prefix, known[known.length - 1]),
            join(opts.profiles, prepared.runtime.id + '-' + v.id + '.callgrind'),
          );
        }
        agent.destroy();
        opts.log(
          'bench: ' +
            prepared.runtime.id +
            ': ' +
            v.id.padEnd(26) +
            (out[v.id] / 1000).toFixed(1).padStart(9) +
            'k instructions/request',
        );
      }
      const broken = brokenLines(nginx.errorLog());
      if (broken.length) throw new Error(proc.name + ' error log:\n' + broken.join('\n'));
    } finally {
      await nginx.stop();
    }
  }
  return { instructions: out, requests: opts.requests, warmup: WARMUP, valgrind, baseline: opts.baselineRef };
}
