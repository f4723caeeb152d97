// @ts-check
// Runs nginx in a throw-away prefix: checked with `nginx -t` first, then in the foreground until stop().
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BUNDLE } from './paths.mjs';
import { waitForPort } from './ports.mjs';
import { followFile, forwardLines, localRuntime } from './processes.mjs';

/**
 * @typedef {object} NginxOptions
 * @property {import('./ports.mjs').Endpoint[]} listen every listener of the config: started means all accept
 * @property {string} [name] names the prefix and, in a container runtime, the container
 * @property {import('./processes.mjs').Runtime} [runtime] default: local processes, nginx from PATH
 * @property {string[]} [readable] paths outside the repository and the prefix that the config names
 *   (certificates), for a container runtime to mount
 * @property {import('./processes.mjs').OnLine} [onLine] each line nginx writes ('stdout', 'stderr') and
 *   each new line of access.log in the prefix ('access')
 */

/**
 * @typedef {object} RunningNginx
 * @property {string} name
 * @property {number | undefined} pid the process started: nginx's master, or the `docker run` client
 * @property {string} prefix nginx's prefix: nginx.conf, error.log, access.log, nginx.pid
 * @property {() => string} errorLog error.log in the prefix, '' until written
 * @property {() => string[]} startupLines what nginx wrote to stderr before its error_log took over (warnings
 *   about the configuration itself land here)
 * @property {() => string} accessLog access.log in the prefix, '' until written
 * @property {() => number} masterPid from nginx.pid, as nginx wrote it (a container's own pid namespace)
 * @property {() => void} reload SIGHUP to the master: re-reads the config, starts new workers
 * @property {() => Promise<void>} stop SIGQUIT (graceful), SIGKILL after 5 s; removes the prefix
 */

/**
 * Starts nginx with `conf` (which must not set `daemon`: nginx runs in the foreground under this process).
 * Throws with nginx's stderr and the config when `nginx -t` fails, and with the error log when nginx exits
 * or does not listen within 10 s.
 * @param {string} conf
 * @param {NginxOptions} options
 * @returns {Promise<RunningNginx>}
 */
export async function startNginx(conf, { listen, name = 'nginx', runtime = localRuntime(), readable, onLine }) {
  if (conf.includes(dirname(BUNDLE)) && !existsSync(BUNDLE))
    throw new Error('no bundle at ' + BUNDLE + ': run `npm run build` first');
  const prefix = mkdtempSync(join(tmpdir(), 'region-router-' + name + '-'));
  const confPath = join(prefix, 'nginx.conf');
  writeFileSync(confPath, 'daemon off;\n' + conf);
  /** @param {string[]} extra @param {string} as */
  const nginx = function (extra, as) {
    return runtime.command(as, ['nginx'].concat(extra, ['-p', prefix + '/', '-e', 'stderr', '-c', confPath]), {
      writable: [prefix],
      readable,
    });
  };
  /** @param {string} file */
  const read = function (file) {
    const p = join(prefix, file);
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  };

  const check = nginx(['-t', '-q'], name + '-check');
  const test = spawnSync(check.cmd, check.args, { encoding: 'utf8', env: check.env });
  if (test.status !== 0) {
    rmSync(prefix, { recursive: true, force: true });
    throw new Error(
      name +
        ': nginx -t failed:\n' +
        test.stderr +
        (test.error ? test.error.message : '') +
        '\n--- config ---\n' +
        conf,
    );
  }

  const start = nginx([], name);
  const proc = spawn(start.cmd, start.args, { stdio: ['ignore', 'pipe', 'pipe'], env: start.env });
  // What nginx writes to stderr before its error_log directive takes over, for the message if it fails.
  /** @type {string[]} */
  const stderr = [];
  forwardLines(proc, function (stream, line) {
    if (stream === 'stderr' && stderr.length < 200) stderr.push(line);
    if (onLine) onLine(stream, line);
  });
  const follow = onLine
    ? followFile(join(prefix, 'access.log'), function (line) {
        onLine('access', line);
      })
    : undefined;
  const exited = new Promise(function (res) {
    proc.once('exit', res);
  });
  const deadline = Date.now() + 10000;
  try {
    await Promise.race([
      Promise.all(
        listen.map(function (l) {
          return waitForPort(l.host, l.port, Math.max(0, deadline - Date.now()));
        }),
      ),
      exited.then(function (code) {
        throw new Error('nginx exited (' + code + ') while starting');
      }),
    ]);
  } catch (e) {
    proc.kill('SIGKILL');
    runtime.remove(name);
    if (follow) follow.stop();
    const log = read('error.log');
    rmSync(prefix, { recursive: true, force: true });
    throw new Error(
      name +
        ': ' +
        /** @type {Error} */ (e).message +
        '\n' +
        stderr.join('\n') +
        (log ? '\n--- error.log ---\n' + log : ''),
    );
  }
  return {
    name,
    pid: proc.pid,
    prefix,
    errorLog: function () {
      return read('error.log');
    },
    startupLines: function () {
      return stderr.slice();
    },
    accessLog: function () {
      return read('access.log');
    },
    masterPid: function () {
      const pid = Number(read('nginx.pid').trim());
      if (!pid) throw new Error(name + ': no nginx.pid in ' + prefix);
      return pid;
    },
    reload: function () {
      proc.kill('SIGHUP');
    },
    stop: async function () {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGQUIT');
        const force = setTimeout(function () {
          proc.kill('SIGKILL');
        }, 5000);
        await exited;
        clearTimeout(force);
      }
      runtime.remove(name);
      if (follow) follow.stop();
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
