// Where the platform's processes run: as local processes, or each in its own container (Docker, host
// network, everything still on 127.0.0.x). The containers run the bookworm runtime image of
// dev/runtimes.mjs (built once from Debian's packages, then reused by its tag), with the host's Node
// mounted read-only, so the services run on the same Node as `npm ci` installed for.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ensureImage, imageRuntime, imageTag, runtimeById } from '../dev/runtimes.mjs';
import { localRuntime as devLocalRuntime } from '../dev/processes.mjs';

const RUNTIME = runtimeById('bookworm-njs');
const IMAGE = imageTag(RUNTIME.release);

export function localRuntime() {
  return { mode: 'local processes (Debian nginx, node)', ...devLocalRuntime() };
}

/** Why containers can't be used here, or undefined when a Docker engine answers. */
export function dockerUnavailable() {
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 10000 });
  if (info.error) return 'no docker command';
  if (info.status !== 0)
    return 'no Docker engine answers (' + (info.stderr.trim().split('\n').pop() || 'docker info failed') + ')';
  if (!imageExists() && !existsSync('/usr/sbin/debootstrap'))
    return 'its image must be built, and debootstrap is not installed';
  if (!imageExists() && process.getuid && process.getuid() !== 0)
    return 'its image must be built, which debootstrap does only as root';
  return undefined;
}

function imageExists() {
  return spawnSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' }).status === 0;
}

/** Each process in its own container: host network, the repository read-only at the same path. */
export async function containerRuntime(log) {
  ensureImage(RUNTIME.release, {
    log: function (line) {
      log('runtime: ' + line);
    },
  });
  return {
    mode: 'containers (Docker, host network, image ' + IMAGE + ')',
    image: IMAGE,
    ...imageRuntime(IMAGE, { namePrefix: 'njs-region-router-demo-' + process.pid + '-', hostNode: true }),
  };
}
