// Measuring processes from outside: nginx worker CPU time and memory from /proc, and wrk runs.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const TICK_US = 1e6 / 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 10 ms ticks

/** The one worker of the nginx whose master wrote `<prefix>/nginx.pid`. */
export function workerOf(prefix) {
  const master = readFileSync(join(prefix, 'nginx.pid'), 'utf8').trim();
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat;
      try {
        stat = readFileSync('/proc/' + entry + '/stat', 'utf8');
      } catch {
        continue;
      }
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[1] === master) return Number(entry);
    }
  }
  throw new Error('no worker found for nginx master ' + master);
}

/** utime + stime of a process, in ticks. */
export function cpuTicks(pid) {
  const stat = readFileSync('/proc/' + pid + '/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** Resident memory of a process, in KiB. */
export function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/' + pid + '/status', 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** Busy and total ticks of one CPU, from /proc/stat: how much else ran on the gateway's core. */
export function coreTicks(cpu) {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find(function (l) {
      return l.startsWith('cpu' + cpu + ' ');
    });
  const n = line.trim().split(/\s+/).slice(1).map(Number);
  const total = n.reduce(function (a, b) {
    return a + b;
  }, 0);
  // steal: time the hypervisor gave this virtual CPU to someone else
  return { busy: total - n[3] - n[4] - n[7], steal: n[7], total: total };
}

/**
 * One wrk run pinned to `cpu`, one thread, `connections` keepalive connections, for `seconds`.
 * Resolves with wrk's counts and latency percentiles (microseconds), from bench/report.lua.
 */
export function runWrk(opts) {
  const args = [
    '-c',
    String(opts.cpu),
    'wrk',
    '-t1',
    '-c',
    String(opts.connections),
    '-d',
    opts.seconds + 's',
    '--timeout',
    '2s',
    '-s',
    opts.script,
  ];
  for (const h of opts.headers) args.push('-H', h);
  args.push(opts.url);
  if (opts.bodyFile) args.push('--', 'POST', opts.bodyFile);
  return new Promise(function (resolve, reject) {
    const wrk = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    wrk.stdout.on('data', function (d) {
      out += d;
    });
    wrk.stderr.on('data', function (d) {
      out += d;
    });
    const killer = setTimeout(
      function () {
        wrk.kill('SIGKILL');
      },
      (opts.seconds + 15) * 1000,
    );
    wrk.on('exit', function (code) {
      clearTimeout(killer);
      const m = /^BENCH (\{.*\})$/m.exec(out);
      if (code !== 0 || !m) {
        reject(new Error('wrk failed (exit ' + code + '):\n' + out));
        return;
      }
      resolve(JSON.parse(m[1]));
    });
  });
}
