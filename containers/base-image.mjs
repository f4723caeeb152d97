// The one image every container of the project runs (the test harness's gateways and echo upstreams, the
// demo platform's services): Debian bookworm with nginx-light, the njs 0.7.9 module (and CLI) and Debian's
// Node (whose libraries also let the host's Node binary run inside), built from Debian's packages since no
// container registry is reachable.
// It is built once (debootstrap + docker import, about a minute) and reused while its tag exists: the tag
// is a hash of what goes into it, so changing the package list builds a new one.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, existsSync, readFileSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SUITE = 'bookworm';
// njs: the CLI, to tell which njs engine a gateway image runs (`njs -v`)
const PACKAGES = ['nginx-light', 'libnginx-mod-http-js', 'njs', 'nodejs'];
const RECIPE_VERSION = '2'; // bump when the build steps below change

/** The mirror the host's apt uses (the build goes through the same route), else Debian's CDN. */
function debianMirror() {
  if (process.env.DEBIAN_MIRROR) return process.env.DEBIAN_MIRROR;
  const sources = '/etc/apt/sources.list.d/debian.sources';
  if (existsSync(sources)) {
    const m = /^URIs:\s*(\S+\/debian)\s*$/m.exec(readFileSync(sources, 'utf8'));
    if (m) return m[1];
  }
  return 'http://deb.debian.org/debian';
}

export function baseImageTag() {
  const hash = createHash('sha256').update([RECIPE_VERSION, SUITE, 'minbase'].concat(PACKAGES).join('\n')).digest('hex');
  return 'njs-region-router/base:' + SUITE + '-' + hash.slice(0, 12);
}

function imageExists(tag) {
  return spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', tag], { encoding: 'utf8' }).status === 0;
}

/**
 * Returns { tag, built, seconds }. Builds the image when its tag is missing.
 * @param {{ log?: (line: string) => void }} [opts]
 */
export function ensureBaseImage(opts = {}) {
  const log = opts.log || function () {};
  const tag = baseImageTag();
  if (imageExists(tag)) return { tag, built: false, seconds: 0 };
  if (spawnSync('sh', ['-c', 'command -v debootstrap'], { encoding: 'utf8' }).status !== 0) {
    throw new Error('image ' + tag + ' is missing and debootstrap is not installed: `apt-get install -y debootstrap`');
  }
  if (!(process.getuid && process.getuid() === 0)) {
    throw new Error('image ' + tag + ' is missing; building it with debootstrap needs root');
  }
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'region-router-rootfs-'));
  const logPath = dir + '.debootstrap.log'; // next to the root fs, so parallel builds keep their own
  const mirror = debianMirror();
  log('image: building ' + tag + ' with debootstrap from ' + mirror + ' (log ' + logPath + ')');
  try {
    const out = openSync(logPath, 'w');
    const boot = spawnSync('debootstrap', ['--variant=minbase', '--include=' + PACKAGES.join(','), SUITE, dir, mirror], {
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    if (boot.status !== 0) {
      const tail = readFileSync(logPath, 'utf8').split('\n').slice(-20).join('\n');
      throw new Error('debootstrap failed (exit ' + boot.status + '):\n' + tail);
    }
    // Debian's nginx package enables a default site on :80 (all addresses); nothing here uses it.
    rmSync(join(dir, 'etc', 'nginx', 'sites-enabled'), { recursive: true, force: true });
    // Downloaded .debs and apt lists are not needed at run time.
    rmSync(join(dir, 'var', 'cache', 'apt', 'archives'), { recursive: true, force: true });
    rmSync(join(dir, 'var', 'lib', 'apt', 'lists'), { recursive: true, force: true });
    const imported = spawnSync('sh', ['-c', 'tar -C "$1" -c . | docker import - "$2"', 'import', dir, tag], { encoding: 'utf8' });
    if (imported.status !== 0) throw new Error('docker import failed: ' + imported.stderr);
    rmSync(logPath, { force: true }); // kept only when the build failed
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const seconds = (Date.now() - started) / 1000;
  log('image: built ' + tag + ' in ' + seconds.toFixed(1) + ' s');
  return { tag, built: true, seconds };
}

// Standalone: node containers/base-image.mjs  (builds or confirms the image)
if (import.meta.url === 'file://' + process.argv[1]) {
  const r = ensureBaseImage({ log: console.log });
  console.log(r.tag + (r.built ? ' built in ' + r.seconds.toFixed(1) + ' s' : ' already present'));
}
