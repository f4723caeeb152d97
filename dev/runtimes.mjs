// @ts-check
// The runtimes the router is checked on: Debian's own nginx + njs of three releases, and on forky (njs 1.0)
// both of its JavaScript engines. One recipe (containers/base-image.mjs, parameterised by release) makes
// an image per release: debootstrap --variant=minbase with nginx-light, the njs module, the njs CLI and
// Debian's Node, then `docker import` (no container registry is reachable here). An image is built once and
// reused while its tag exists: the tag is a hash of the recipe.
//
// Containers always run on the host's network (only 127.0.0.x traffic is ever allowed; Docker's bridge is
// 172.17.x, so it is never used).
//
// Standalone: node dev/runtimes.mjs [ids...]   builds or confirms the images, then prints per runtime the
// tag, `nginx -v`, `njs -v` and whether the njs CLI loaded dist/region-router.js with that engine.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, existsSync, readFileSync, writeFileSync, openSync, closeSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from './paths.mjs';

/**
 * @typedef {'bookworm' | 'trixie' | 'forky'} Release
 * @typedef {'njs' | 'qjs'} Engine
 * @typedef {{ id: string, release: Release, engine: Engine, nginx: string, njs: string }} Runtime
 *   nginx, njs: the versions Debian's packages of that release gave when the image was last built here
 *   (bookworm and trixie are stable; forky is Debian testing and moves).
 * @typedef {{ tag: string, built: boolean, seconds: number }} EnsureResult
 * @typedef {string | { host: string, container?: string, readOnly?: boolean }} Mount
 *   a string with a ':' is passed to `docker run -v` as is ('/a:/b:ro'); a bare path is mounted read-only at
 *   the same path (never an anonymous volume); an object mounts `host` at `container` (default: the same
 *   path), read-only unless readOnly is false.
 * @typedef {{ mounts?: Mount[], network?: 'host', pidHost?: boolean, name?: string, env?: string[],
 *   workdir?: string }} RunOptions
 *   env: names of variables to copy from docker's own environment (`-e NAME`), so values stay out of argv.
 */


/** @type {readonly Runtime[]} */
export const RUNTIMES = Object.freeze([
  { id: 'bookworm-njs', release: 'bookworm', engine: 'njs', nginx: '1.22.1', njs: '0.7.9' },
  { id: 'trixie-njs', release: 'trixie', engine: 'njs', nginx: '1.26.3', njs: '0.8.9' },
  { id: 'forky-njs', release: 'forky', engine: 'njs', nginx: '1.30.6', njs: '1.0.2' },
  { id: 'forky-qjs', release: 'forky', engine: 'qjs', nginx: '1.30.6', njs: '1.0.2' },
].map(function (r) { return Object.freeze(/** @type {Runtime} */ (r)); }));

/**
 * @param {string} id
 * @returns {Runtime}
 */
export function runtimeById(id) {
  const found = RUNTIMES.find(function (r) { return r.id === id; });
  if (!found) {
    throw new Error('unknown runtime ' + JSON.stringify(id) + '; valid ids: ' + RUNTIMES.map(function (r) { return r.id; }).join(', '));
  }
  return found;
}

// njs: the CLI, to tell which engine an image runs (`njs -v`) and to load the bundle without nginx.
// nodejs: the harness's echo upstreams run on Node inside containers: Debian's (18.20 in bookworm, 20.19 in
// trixie, 24.x in forky), or the host's binary mounted at /usr/local/bin/node (it needs only libc, libstdc++
// and libgcc_s, which Debian's nodejs pulls in; tried with the host's Node 20 on all three releases).
const PACKAGES = ['nginx-light', 'libnginx-mod-http-js', 'njs', 'nodejs'];
const RECIPE_VERSION = '1'; // bump when the build steps below change
/** @type {Record<Release, { script?: string }>} */
const RELEASES = {
  bookworm: {},
  trixie: {},
  // bookworm's debootstrap has no forky script; sid's bootstraps testing as well.
  forky: { script: '/usr/share/debootstrap/scripts/sid' },
};
const NJS_MODULE = '/usr/lib/nginx/modules/ngx_http_js_module.so';

/** @param {string} release @returns {Release} */
function checkRelease(release) {
  if (!Object.prototype.hasOwnProperty.call(RELEASES, release)) {
    throw new Error('unknown Debian release ' + JSON.stringify(release) + '; valid: ' + Object.keys(RELEASES).join(', '));
  }
  return /** @type {Release} */ (release);
}

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

/**
 * The image tag of a release: a hash of everything that goes into it.
 * @param {string} release
 */
export function imageTag(release) {
  const rel = checkRelease(release);
  const script = RELEASES[rel].script || '';
  const hash = createHash('sha256')
    .update([RECIPE_VERSION, rel, 'minbase', script].concat(PACKAGES).join('\n'))
    .digest('hex');
  return 'njs-region-router/runtime:' + rel + '-' + hash.slice(0, 12);
}

/** @param {string} tag */
function imageExists(tag) {
  return spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', tag], { encoding: 'utf8' }).status === 0;
}

/**
 * Builds the release's image when its tag is missing.
 * @param {string} release
 * @param {{ log?: (line: string) => void }} [opts]
 * @returns {EnsureResult}
 */
export function ensureImage(release, opts = {}) {
  const log = opts.log || function () {};
  const rel = checkRelease(release);
  const tag = imageTag(rel);
  if (imageExists(tag)) return { tag, built: false, seconds: 0 };
  if (spawnSync('sh', ['-c', 'command -v debootstrap'], { encoding: 'utf8' }).status !== 0) {
    throw new Error('image ' + tag + ' is missing and debootstrap is not installed: `apt-get install -y debootstrap`');
  }
  if (!(process.getuid && process.getuid() === 0)) {
    throw new Error('image ' + tag + ' is missing; building it with debootstrap needs root');
  }
  const script = RELEASES[rel].script;
  if (script && !existsSync(script)) {
    throw new Error('image ' + tag + ' is missing and debootstrap has no ' + script + ' to build ' + rel + ' with');
  }
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'region-router-rootfs-' + rel + '-'));
  const logPath = dir + '.debootstrap.log'; // next to the root fs, so parallel builds keep their own
  const mirror = debianMirror();
  log('image: building ' + tag + ' with debootstrap from ' + mirror + ' (log ' + logPath + ')');
  try {
    const out = openSync(logPath, 'w');
    const argv = ['--variant=minbase', '--include=' + PACKAGES.join(','), rel, dir, mirror];
    if (script) argv.push(script);
    const boot = spawnSync('debootstrap', argv, { stdio: ['ignore', out, out] });
    closeSync(out);
    if (boot.status !== 0) {
      const tail = readFileSync(logPath, 'utf8').split('\n').slice(-20).join('\n');
      throw new Error('debootstrap ' + rel + ' failed (exit ' + boot.status + ', log ' + logPath + '):\n' + tail);
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

/**
 * The line to put in http {} to select the runtime's engine: '' for the njs engine (the default of every
 * Debian build, 1.0.2 included), `js_engine qjs;` for QuickJS. On forky (njs 1.0.2) `js_engine` is valid in
 * http, server and location (each location runs the engine it inherits), not in the main context; nothing
 * else is needed (libqjs0 comes with the module). trixie's 0.8.9 knows the directive but rejects `qjs`
 * (invalid value: not built with QuickJS); bookworm's 0.7.9 does not know it (unknown directive).
 * @param {Runtime} runtime
 */
export function jsEngineDirective(runtime) {
  return runtime.engine === 'qjs' ? 'js_engine qjs;' : '';
}

/**
 * Where the njs module lives in an image of this recipe (all are Debian builds), for `load_module`.
 * @param {string} tag
 */
export function njsModulePath(tag) {
  if (!/^njs-region-router\/runtime:/.test(tag)) {
    throw new Error('not an image of dev/runtimes.mjs: ' + tag);
  }
  return NJS_MODULE;
}

/**
 * The `docker run` command line for argv inside the image: removed on exit, host networking always.
 * @param {string} tag
 * @param {string[]} argv
 * @param {RunOptions} [opts]
 * @returns {{ cmd: string, args: string[] }}
 */
export function runInImage(tag, argv, opts = {}) {
  if (opts.network !== undefined && opts.network !== 'host') {
    throw new Error('runInImage: only host networking is allowed (traffic stays on 127.0.0.x), not ' + opts.network);
  }
  const args = ['run', '--rm', '--network', 'host'];
  if (opts.pidHost) args.push('--pid', 'host');
  if (opts.name) args.push('--name', opts.name);
  if (opts.workdir) args.push('-w', opts.workdir);
  for (const k of opts.env || []) args.push('-e', k);
  for (const m of opts.mounts || []) {
    if (typeof m === 'string') {
      args.push('-v', m.includes(':') ? m : m + ':' + m + ':ro');
    } else {
      args.push('-v', m.host + ':' + (m.container || m.host) + (m.readOnly === false ? '' : ':ro'));
    }
  }
  return { cmd: 'docker', args: args.concat(tag, argv) };
}

/**
 * The runtime as a dev/processes.mjs Runtime, for startNginx: each process in the runtime's image (built if
 * missing), with the repository read-only at its own path and the process's writable directories. The host's
 * pid namespace too, so that nginx.pid and /proc name the same processes as outside (worker CPU and RSS).
 * @param {Runtime} runtime
 * @returns {import('./processes.mjs').Runtime}
 */
export function imageRuntime(runtime) {
  const { tag } = ensureImage(runtime.release);
  /** @param {string} name */
  const container = function (name) { return 'njs-region-router-' + process.pid + '-' + name; };
  return {
    command(name, argv, options) {
      /** @type {Mount[]} */
      const mounts = [ROOT];
      for (const dir of options.writable || []) mounts.push({ host: dir, readOnly: false });
      const c = runInImage(tag, argv, { name: container(name), pidHost: true, mounts, env: Object.keys(options.env || {}) });
      return { cmd: c.cmd, args: c.args, env: { ...process.env, ...options.env } };
    },
    remove(name) {
      spawnSync('docker', ['rm', '-f', container(name)], { stdio: 'ignore', timeout: 20000 });
    },
  };
}

/**
 * @param {string} tag
 * @param {string[]} argv
 * @param {RunOptions} [opts]
 */
function runSync(tag, argv, opts) {
  const c = runInImage(tag, argv, opts);
  const r = spawnSync(c.cmd, c.args, { encoding: 'utf8', timeout: 60000 });
  return { status: r.status, out: ((r.stdout || '') + (r.stderr || '')).trim(), error: r.error };
}

/**
 * Has the runtime's njs CLI load the bundle with the runtime's engine, inside its image (built if missing).
 * The njs engine runs `njs FILE`, where FILE imports the bundle by its absolute path; QuickJS runs
 * `njs -n QuickJS -m -p DIR FILE` (without -m `import` is a syntax error), DIR being the bundle's directory.
 * @param {Runtime} runtime
 * @param {string} [bundlePath] default: dist/region-router.js of this repository
 * @returns {{ ok: boolean, output: string, version: string }}
 */
export function njsCliCheck(runtime, bundlePath = join(ROOT, 'dist', 'region-router.js')) {
  const bundle = realpathSync(bundlePath);
  const { tag } = ensureImage(runtime.release);
  const version = runSync(tag, ['njs', '-v']).out;
  const dir = mkdtempSync(join(tmpdir(), 'region-router-njs-check-'));
  try {
    const probe = join(dir, 'main.js');
    const from = runtime.engine === 'qjs' ? basename(bundle) : bundle;
    writeFileSync(probe, [
      "import router from '" + from + "';",
      "if (typeof router.region !== 'function' || typeof router.routeBody !== 'function') { throw new Error('handlers missing'); }",
      "console.log('loaded');",
      '',
    ].join('\n'));
    const argv = runtime.engine === 'qjs'
      ? ['njs', '-n', 'QuickJS', '-m', '-p', dirname(bundle), probe]
      : ['njs', probe];
    const run = runSync(tag, argv, { mounts: [dir, dirname(bundle)] });
    const ok = run.status === 0 && /(^|\n)loaded(\n|$)/.test(run.out);
    return { ok, output: run.error ? String(run.error) : run.out, version };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Standalone: node dev/runtimes.mjs [ids...]
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  /** @type {Runtime[]} */
  let wanted = [];
  try {
    wanted = process.argv.slice(2).length ? process.argv.slice(2).map(runtimeById) : RUNTIMES.slice();
  } catch (e) {
    console.error('runtimes: ' + (e instanceof Error ? e.message : String(e)));
    process.exit(2);
  }
  const bundle = join(ROOT, 'dist', 'region-router.js');
  let failed = false;
  for (const rt of wanted) {
    const image = ensureImage(rt.release, { log: console.log });
    const nginx = runSync(image.tag, ['nginx', '-v']).out;
    console.log(rt.id + ': ' + image.tag + (image.built ? ' (built in ' + image.seconds.toFixed(1) + ' s)' : ' (present)'));
    console.log('  ' + nginx);
    if (!existsSync(bundle)) {
      console.log('  njs ' + runSync(image.tag, ['njs', '-v']).out + '; no bundle at ' + bundle + ' (npm run build)');
      failed = true;
      continue;
    }
    const check = njsCliCheck(rt, bundle);
    console.log('  njs ' + check.version + ', engine ' + rt.engine + ': ' + (check.ok ? 'bundle loaded' : 'bundle NOT loaded:\n    ' + check.output.split('\n').join('\n    ')));
    if (!check.ok) failed = true;
  }
  process.exitCode = failed ? 1 : 0;
}
