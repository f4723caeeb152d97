// @ts-check
// Makes sure a Docker engine answers before any container is started. Where none runs and this process
// may start one (root, Debian's docker.io installed), it starts dockerd in the background and stops it
// again when the run ends. Otherwise it fails with what to start: the container suites never skip.
import { spawn, spawnSync } from 'node:child_process';
import { openSync, closeSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * @typedef {{ version: string, started: boolean, pid?: number, stop: () => Promise<void> }} DockerEngine
 *   stop() ends the engine only if this process started it.
 */

/** testcontainers settings for this machine kind: no Ryuk (its image can't be pulled), host on loopback. */
export function configureTestcontainers() {
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  // Inside a container testcontainers would otherwise look the host up on Docker's bridge network.
  process.env.TESTCONTAINERS_HOST_OVERRIDE = process.env.TESTCONTAINERS_HOST_OVERRIDE || '127.0.0.1';
}

/** @returns {{ ok: true, version: string } | { ok: false, why: string }} */
export function engineAnswers() {
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 20000 });
  if (info.error && /** @type {NodeJS.ErrnoException} */ (info.error).code === 'ENOENT')
    return { ok: false, why: 'the docker CLI is not installed' };
  if (info.status === 0) return { ok: true, version: info.stdout.trim() };
  return {
    ok: false,
    why: (info.stderr || String(info.error || 'docker info failed')).trim().split('\n').pop() || 'docker info failed',
  };
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise(function (r) {
    setTimeout(r, ms);
  });
}

const WHAT_TO_START =
  'Start a Docker engine (Debian: `apt-get install -y docker.io`, then `dockerd &` as root, ' +
  'or `systemctl start docker`), or point DOCKER_HOST at one. The container suites need real containers.';

/**
 * @param {{ log?: (line: string) => void, timeoutMs?: number }} [opts]
 * @returns {Promise<DockerEngine>}
 */
export async function ensureDockerEngine(opts = {}) {
  const log = opts.log || function () {};
  const first = engineAnswers();
  if (first.ok) return { version: first.version, started: false, stop: async function () {} };

  const canStart =
    !process.env.DOCKER_HOST &&
    process.getuid &&
    process.getuid() === 0 &&
    spawnSync('sh', ['-c', 'command -v dockerd'], { encoding: 'utf8' }).status === 0;
  if (!canStart) {
    throw new Error('No Docker engine answers (' + first.why + ').\n' + WHAT_TO_START);
  }
  const logPath = join(tmpdir(), 'region-router-dockerd.log');
  const out = openSync(logPath, 'a');
  // Host networking only: no default bridge (172.17.x) and no iptables rules are needed or wanted.
  const dockerd = spawn('dockerd', ['--bridge=none', '--iptables=false', '--ip-masq=false'], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  dockerd.unref();
  log('docker: no engine answered (' + first.why + '); started dockerd (pid ' + dockerd.pid + ', log ' + logPath + ')');
  const deadline = Date.now() + (opts.timeoutMs || 60000);
  let why = first.why;
  while (Date.now() < deadline) {
    if (dockerd.exitCode !== null) break;
    const now = engineAnswers();
    if (now.ok) {
      return {
        version: now.version,
        started: true,
        pid: dockerd.pid,
        stop: function () {
          return stopProcess(dockerd);
        },
      };
    }
    why = now.why;
    await sleep(500);
  }
  try {
    dockerd.kill('SIGTERM');
  } catch (e) {
    /* already gone */
  }
  const tail = existsSync(logPath) ? readFileSync(logPath, 'utf8').split('\n').slice(-15).join('\n') : '';
  throw new Error('dockerd did not come up (' + why + ').\n--- ' + logPath + ' ---\n' + tail + '\n' + WHAT_TO_START);
}

/**
 * @param {import('node:child_process').ChildProcess} child
 * @returns {Promise<void>}
 */
function stopProcess(child) {
  return new Promise(function (resolve) {
    if (child.exitCode !== null) {
      resolve();
      return;
    }
    const timer = setTimeout(function () {
      try {
        child.kill('SIGKILL');
      } catch (e) {
        /* gone */
      }
      resolve();
    }, 15000);
    child.once('exit', function () {
      clearTimeout(timer);
      resolve();
    });
    try {
      child.kill('SIGTERM');
    } catch (e) {
      clearTimeout(timer);
      resolve();
    }
  });
}
