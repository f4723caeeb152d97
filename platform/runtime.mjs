// Where the platform's processes run: as local processes, or each in its own container (Docker, host
// network, everything still on 127.0.0.x). No image can be pulled here, so the container image is made
// from Debian's packages with debootstrap and `docker import` (containers/base-image.mjs, the same image
// the test harness uses), once, and then reused by its tag. Node is the host's own binary, mounted
// read-only, so the services run on the same Node as `npm ci` installed for.
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { baseImageTag, ensureBaseImage } from '../containers/base-image.mjs';
import { localRuntime as devLocalRuntime } from '../dev/processes.mjs';

const IMAGE = baseImageTag();

export function localRuntime() {
  return { mode: 'local processes (Debian nginx, node)', ...devLocalRuntime() };
}

/** Why containers can't be used here, or undefined when a Docker engine answers. */
export function dockerUnavailable() {
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 10000 });
  if (info.error) return 'no docker command';
  if (info.status !== 0) return 'no Docker engine answers (' + (info.stderr.trim().split('\n').pop() || 'docker info failed') + ')';
  if (!imageExists() && !existsSync('/usr/sbin/debootstrap')) return 'its image must be built, and debootstrap is not installed';
  if (!imageExists() && process.getuid && process.getuid() !== 0) return 'its image must be built, which debootstrap does only as root';
  return undefined;
}

function imageExists() {
  return spawnSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' }).status === 0;
}

/** Each process in its own container: host network, the repository read-only at the same path. */
export async function containerRuntime(log, root) {
  ensureBaseImage({ log: function (line) { log('runtime: ' + line); } });
  const node = realpathSync(process.execPath);
  return {
    mode: 'containers (Docker, host network, image ' + IMAGE + ')',
    command(name, argv, options) {
      const container = 'njs-region-router-demo-' + process.pid + '-' + name;
      const args = ['run', '--rm', '--name', container, '--network', 'host',
        '-v', root + ':' + root + ':ro', '-v', node + ':/usr/local/bin/node:ro'];
      for (const dir of options.writable || []) args.push('-v', dir + ':' + dir);
      // `-e NAME` copies the value from docker's own environment: secrets stay out of argv.
      for (const k of Object.keys(options.env || {})) args.push('-e', k);
      return { cmd: 'docker', args: args.concat(IMAGE, argv), env: { ...process.env, ...options.env } };
    },
    /** Makes sure a container is gone, whatever state its `docker run` client is in. */
    remove(name) {
      spawnSync('docker', ['rm', '-f', 'njs-region-router-demo-' + process.pid + '-' + name], { stdio: 'ignore', timeout: 20000 });
    },
  };
}
