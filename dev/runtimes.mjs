// @ts-check
// The runtimes the router is checked on: Debian's own nginx + njs of three releases, and on forky (njs 1.0)
// both of its JavaScript engines. One recipe (ensureImage below, parameterised by release) makes an image
// per release: debootstrap --variant=minbase with nginx-light, the njs and stream modules, the njs CLI and
// Debian's Node, then `docker import` (no container registry is reachable here). An image is built once and
// reused while its tag exists: the tag is a hash of the recipe. Every container of the project runs one of
// these images: the harness's gateways and upstreams, the hostile and fault suites' nginx, the demo
// platform's services (imageRuntime).
//
// Containers always run on the host's network (only 127.0.0.x traffic is ever allowed; Docker's bridge is
// 172.17.x, so it is never used).
//
// Standalone (npm run check:runtimes): node dev/runtimes.mjs [--runtime ID ...]   starts a Docker engine
// if none answers, builds or confirms the images, then prints per runtime the tag, `nginx -v`, `njs -v` and
// whether the njs CLI loaded dist/region-router.js with that engine; exits non-zero if any did not.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  mkdtempSync,
  rmSync,
  existsSync,
  readFileSync,
  writeFileSync,
  openSync,
  closeSync,
  realpathSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDockerEngine } from './docker-engine.mjs';
import { METRICS_BUNDLE, ROOT } from './paths.mjs';

/**
 * @typedef {'bookworm' | 'trixie' | 'forky'} Release
 * @typedef {'njs' | 'qjs'} Engine
 * @typedef {{ id: string, release: Release, engine: Engine, nginx: string, njs: string, http3: boolean }} Runtime
 *   nginx, njs: the versions Debian's packages of that release gave when the image was last built here
 *   (bookworm and trixie are stable; forky is Debian testing and moves). http3: its nginx is built with
 *   the http_v3 module (Debian's from 1.25 on), so the suites expect HTTP/3 to work there.
 * @typedef {{ tag: string, built: boolean, seconds: number }} EnsureResult
 * @typedef {string | { host: string, container?: string, readOnly?: boolean }} Mount
 *   a string with a ':' is passed to `docker run -v` as is ('/a:/b:ro'); a bare path is mounted read-only at
 *   the same path (never an anonymous volume); an object mounts `host` at `container` (default: the same
 *   path), read-only unless readOnly is false.
 * @typedef {{ mounts?: Mount[], network?: 'host', pidHost?: boolean, name?: string, env?: string[],
 *   workdir?: string, labels?: Record<string, string> }} RunOptions
 *   env: names of variables to copy from docker's own environment (`-e NAME`), so values stay out of argv.
 */

// nginx, njs: what each runtime is documented and expected to be; the suites read the real versions from
// the image (imageVersions) wherever behaviour depends on them.
/** @type {readonly Runtime[]} */
export const RUNTIMES = Object.freeze(
  [
    { id: 'bookworm-njs', release: 'bookworm', engine: 'njs', nginx: '1.22.1', njs: '0.7.9', http3: false },
    { id: 'trixie-njs', release: 'trixie', engine: 'njs', nginx: '1.26.3', njs: '0.8.9', http3: true },
    { id: 'forky-njs', release: 'forky', engine: 'njs', nginx: '1.30.6', njs: '1.0.2', http3: true },
    { id: 'forky-qjs', release: 'forky', engine: 'qjs', nginx: '1.30.6', njs: '1.0.2', http3: true },
  ].map(function (r) {
    return Object.freeze(/** @type {Runtime} */ (r));
  }),
);

/**
 * @param {string} id
 * @returns {Runtime}
 */
export function runtimeById(id) {
  const found = RUNTIMES.find(function (r) {
    return r.id === id;
  });
  if (!found) {
    throw new Error(
      'unknown runtime ' +
        JSON.stringify(id) +
        '; valid ids: ' +
        RUNTIMES.map(function (r) {
          return r.id;
        }).join(', '),
    );
  }
  return found;
}

// njs: the CLI, to tell which engine an image runs (`njs -v`) and to load the bundle without nginx.
// nodejs: the harness's echo upstreams run on Node inside containers: Debian's (18.20 in bookworm, 20.19 in
// trixie, 24.x in forky), or the host's binary mounted at /usr/local/bin/node (it needs only libc, libstdc++
// and libgcc_s, which Debian's nodejs pulls in; tried with the host's Node 20 on all three releases).
// libnginx-mod-stream: the demo platform's global entry passes TLS through to the gateways (stream {}).
const PACKAGES = ['nginx-light', 'libnginx-mod-http-js', 'libnginx-mod-stream', 'njs', 'nodejs'];
const RECIPE_VERSION = '1'; // bump when the build steps below change
/** @type {Record<Release, { script?: string }>} */
const RELEASES = {
  bookworm: {},
  trixie: {},
  // bookworm's debootstrap has no forky script; sid's bootstraps testing as well.
  forky: { script: '/usr/share/debootstrap/scripts/sid' },
};

/** @param {string} release @returns {Release} */
function checkRelease(release) {
  if (!Object.prototype.hasOwnProperty.call(RELEASES, release)) {
    throw new Error(
      'unknown Debian release ' + JSON.stringify(release) + '; valid: ' + Object.keys(RELEASES).join(', '),
    );
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
    const imported = spawnSync('sh', ['-c', 'tar -C "$1" -c . | docker import - "$2"', 'import', dir, tag], {
      encoding: 'utf8',
    });
    if (imported.status !== 0) throw new Error('docker import failed: ' + imported.stderr);
    rmSync(logPath, { force: true }); // kept only when the build failed
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const seconds = (Date.now() - started) / 1000;
  log('image: built ' + tag + ' in ' + seconds.toFixed(1) + ' s');
  return { tag, built: true, seconds };
}

/** The include that selects QuickJS, in http {} (nginx/engine-qjs.conf: just `js_engine qjs;`). */
export const QJS_INCLUDE = join(ROOT, 'nginx', 'engine-qjs.conf');

/**
 * The line to put in http {} to select the runtime's engine: '' for the njs engine (the default of every
 * Debian build, 1.0.2 included), an include of nginx/engine-qjs.conf for QuickJS. On forky (njs 1.0.2)
 * `js_engine` is valid in http, server and location (each location runs the engine it inherits), not in the
 * main context, and its place among the js_ directives of http {} does not matter; nothing else is needed
 * (libqjs0 comes with the module). trixie's 0.8.9 knows the directive but rejects `qjs` (invalid value: not
 * built with QuickJS); bookworm's 0.7.9 does not know it (unknown directive).
 * @param {Runtime} runtime
 */
export function jsEngineDirective(runtime) {
  return runtime.engine === 'qjs' ? 'include ' + QJS_INCLUDE + ';' : '';
}

/** What `njs.engine` says under each engine (njs 0.7.9 has no njs.engine: the probe reports 'njs'). */
export const ENGINE_NAMES = Object.freeze({ njs: 'njs', qjs: 'QuickJS' });

/**
 * http {} text for a server at `at` that answers GET / with the engine nginx runs the router's locations
 * on (dev/engine-probe.js), so a suite can prove that a QuickJS runtime really runs QuickJS. Not logged.
 * @param {{ host: string, port: number }} at
 */
export function engineProbeConf(at) {
  return [
    'js_import region_router_engine_probe from ' + join(ROOT, 'dev', 'engine-probe.js') + ';',
    'js_set $region_router_engine_probe region_router_engine_probe.engine;',
    'server { listen ' +
      at.host +
      ':' +
      at.port +
      '; access_log off; location / { return 200 $region_router_engine_probe; } }',
  ].join('\n    ');
}

/**
 * Asks the probe of engineProbeConf which engine runs, and fails unless it is the runtime's.
 * @param {Runtime} runtime
 * @param {{ host: string, port: number }} at
 * @returns {Promise<string>} the engine's name
 */
export async function checkEngine(runtime, at) {
  const res = await fetch('http://' + at.host + ':' + at.port + '/');
  const name = (await res.text()).trim();
  if (name !== ENGINE_NAMES[runtime.engine]) {
    throw new Error(
      runtime.id + ': nginx runs the ' + JSON.stringify(name) + ' engine, expected ' + ENGINE_NAMES[runtime.engine],
    );
  }
  return name;
}

/** @param {string} version @param {string} wanted @returns {boolean} version >= wanted (x.y.z) */
export function versionAtLeast(version, wanted) {
  const a = version.split('.').map(Number);
  const b = wanted.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((a[i] || 0) !== (b[i] || 0)) return (a[i] || 0) > (b[i] || 0);
  }
  return true;
}

/**
 * Whether njs can read a request body that nginx buffered to a temp file (`r.requestText`): from njs
 * 0.8.10 on; 0.7.9 throws "request body is in a file".
 * @param {string} njsVersion
 */
export function readsBodyFiles(njsVersion) {
  return versionAtLeast(njsVersion, '0.8.10');
}

/**
 * Whether nginx/metrics-http.conf runs there: js_shared_dict_zone came with njs 0.8.0 for the njs engine,
 * 0.8.8 for QuickJS. Elsewhere (0.7.9) the figures come from the access log (README, "Metrics").
 * @param {string} njsVersion
 * @param {string} engine 'njs' or 'qjs'
 */
export function hasSharedDict(njsVersion, engine) {
  return versionAtLeast(njsVersion, engine === 'qjs' ? '0.8.8' : '0.8.0');
}

/** @typedef {{ nginx: string, njs: string, http3: boolean }} ImageVersions http3: nginx has the http_v3 module */

/** @type {Map<string, ImageVersions>} */
const versionsByTag = new Map();

/**
 * The nginx and njs versions an image really has (`nginx -V`, `njs -v`), asked once per tag.
 * @param {string} tag
 * @returns {ImageVersions}
 */
export function imageVersions(tag) {
  const known = versionsByTag.get(tag);
  if (known) return known;
  const run = runSync(tag, ['sh', '-c', 'nginx -V 2>&1; njs -v']);
  const nginx = /nginx\/(\d+\.\d+\.\d+)/.exec(run.out);
  const njs = /(?:^|\n)(\d+\.\d+\.\d+)\s*$/.exec(run.out);
  if (run.status !== 0 || !nginx || !njs)
    throw new Error('could not read nginx and njs versions in ' + tag + ':\n' + run.out);
  const found = { nginx: nginx[1], njs: njs[1], http3: /--with-http_v3_module/.test(run.out) };
  versionsByTag.set(tag, found);
  return found;
}

/**
 * A dev/processes.mjs Runtime that runs each process in `tag`'s image: host network, this repository
 * mounted read-only at its own path, the directories a process writes mounted read-write, and optionally
 * the host's Node at /usr/local/bin/node (first on PATH), so services run on the Node `npm ci` installed for.
 * Container names are `namePrefix` + the process's name (a run's own prefix keeps parallel runs apart).
 * @param {string} tag
 * @param {{ namePrefix: string, labels?: Record<string, string>, hostNode?: boolean, mounts?: Mount[], pidHost?: boolean }} opts
 *   pidHost: the host's process ids (the benchmark reads a worker's CPU time and memory from the host's /proc)
 * @returns {import('./processes.mjs').Runtime}
 */
export function imageRuntime(tag, opts) {
  return {
    command(name, argv, options) {
      /** @type {Mount[]} */
      const mounts = [ROOT, ...(opts.mounts || []), ...(options.readable || [])];
      for (const dir of options.writable || []) mounts.push({ host: dir, readOnly: false });
      if (opts.hostNode) mounts.push({ host: realpathSync(process.execPath), container: '/usr/local/bin/node' });
      const c = runInImage(tag, argv, {
        name: opts.namePrefix + name,
        mounts,
        env: Object.keys(options.env || {}),
        labels: opts.labels,
        pidHost: opts.pidHost,
      });
      return { cmd: c.cmd, args: c.args, env: { ...process.env, ...options.env } };
    },
    remove(name) {
      spawnSync('docker', ['rm', '-f', opts.namePrefix + name], { stdio: 'ignore', timeout: 20000 });
    },
  };
}

/**
 * The runtimes a runner's arguments ask for: `--runtime ID` or `--runtime=ID`, repeated or
 * comma-separated; all of RUNTIMES without one.
 * @param {string[]} argv
 * @returns {Runtime[]}
 */
export function runtimesFromArgs(argv) {
  /** @type {string[]} */
  const ids = [];
  argv.forEach(function (a, i) {
    if (a === '--runtime') {
      if (argv[i + 1] === undefined)
        throw new Error(
          '--runtime needs an id: ' +
            RUNTIMES.map(function (r) {
              return r.id;
            }).join(', '),
        );
      ids.push(...argv[i + 1].split(','));
    } else if (a.startsWith('--runtime=')) {
      ids.push(...a.slice('--runtime='.length).split(','));
    }
  });
  return ids.length ? ids.map(runtimeById) : RUNTIMES.slice();
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
  for (const [k, v] of Object.entries(opts.labels || {})) args.push('--label', k + '=' + v);
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
 * @param {string} tag
 * @param {string[]} argv
 * @param {RunOptions} [opts]
 */
function runSync(tag, argv, opts) {
  const c = runInImage(tag, argv, opts);
  const r = spawnSync(c.cmd, c.args, { encoding: 'utf8', timeout: 60000 });
  return { status: r.status, out: ((r.stdout || '') + (r.stderr || '')).trim(), error: r.error };
}

/** The entry points of dist/region-router.js, and of dist/region-router-metrics.js. */
export const ROUTER_HANDLERS = ['region', 'routeBody'];
export const METRICS_HANDLERS = ['count', 'serve'];

/**
 * What the probe does with the router's bundle, beyond loading it: runs both handlers on requests made of plain
 * objects (variables, a region table that answers us, log and redirect stubs), once on the fast path and once on
 * the general path, which only a request that needs it builds (`lazy:` in build/njs-target.mjs). So the engine
 * runs its own decoder and the lazily built parts, not only the module's top level.
 */
function routerRuns() {
  const token = ['{"alg":"RS256"}', '{"sub":"a","zone":"us"}', 'signature']
    .map(function (part) {
      return Buffer.from(part).toString('base64url');
    })
    .join('.');
  const body = 'grant_type=authorization_code&code=' + token + '&client_id=web';
  return [
    // a request as njs hands it over: r.variables, with the region table answering us, and what the handlers call
    'function request(variables, body) {',
    '  var r = { variables: variables, requestText: body, logged: [], redirected: undefined };',
    '  r.log = r.warn = r.error = function (m) { r.logged.push(m); };',
    '  r.internalRedirect = function (to) { r.redirected = to; };',
    '  return r;',
    '}',
    'function variables(extra) {',
    "  var v = { region_router_candidate: '', region_router_default_region: 'eu', rr_headers: 'token',",
    "    get region_router_known() { return this.region_router_candidate === 'us' ? 'us' : ''; },",
    '    get rr_lookup() { return this.region_router_known; } };',
    '  for (var k in extra) { v[k] = extra[k]; }',
    '  return v;',
    '}',
    'function expect(what, got, want) {',
    "  if (got !== want) { throw new Error(what + ': ' + JSON.stringify(got) + ', not ' + JSON.stringify(want)); }",
    '}',
    "var token = '" + token + "';",
    "expect('fast path, bearer', module.region(request(variables({ rr_bearer: token.split('.')[1] }))), 'us');",
    "expect('general path, bearer', module.region(request(variables({ http_authorization: 'Bearer ' + token }))), 'us');",
    "var form = request(variables({ rr_form_token: 'code.' + token.split('.')[1] }));",
    'module.routeBody(form);',
    "expect('fast path, form POST', form.variables.region_router_region + ' ' + form.redirected, 'us @region_router_proxy');",
    "var body = request(variables({}), '" + body + "');",
    'module.routeBody(body);',
    "expect('general path, form POST', body.variables.region_router_source + ' ' + body.redirected, 'code @region_router_proxy');",
  ];
}

/**
 * Runs `run(probe)` on a probe module (in a fresh temp dir) that imports the bundle as `from`, checks its
 * handlers (and for the router's bundle runs them: routerRuns) and prints 'loaded'; ok when it exits 0 having
 * printed that.
 * @param {string} from the import specifier of the bundle
 * @param {(probe: string) => { status: number | null, out: string, error?: Error }} run
 * @param {string[]} handlers the functions its default export must have
 * @returns {{ ok: boolean, output: string }}
 */
function loadProbe(from, run, handlers) {
  const dir = mkdtempSync(join(tmpdir(), 'region-router-njs-check-'));
  try {
    const probe = join(dir, 'main.js');
    writeFileSync(
      probe,
      [
        "import module from '" + from + "';",
        'if (' +
          handlers
            .map(function (h) {
              return 'typeof module.' + h + " !== 'function'";
            })
            .join(' || ') +
          ") { throw new Error('handlers missing'); }",
      ]
        .concat(handlers === ROUTER_HANDLERS ? routerRuns() : [], ["console.log('loaded');", ''])
        .join('\n'),
    );
    const r = run(probe);
    // (njs 0.7.9 prints a deprecation notice for String.bytesFrom, without a newline, before the probe speaks)
    return { ok: r.status === 0 && /loaded$/.test(r.out), output: r.error ? String(r.error) : r.out };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Has the runtime's njs CLI load the bundle with the runtime's engine, inside its image (built if missing).
 * The njs engine runs `njs FILE`, where FILE imports the bundle by its absolute path; QuickJS runs
 * `njs -n QuickJS -m -p DIR FILE` (without -m `import` is a syntax error), DIR being the bundle's directory.
 * @param {Runtime} runtime
 * @param {string} [bundlePath] default: dist/region-router.js of this repository
 * @param {string[]} [handlers] the functions its default export must have (default: the router's)
 * @returns {{ ok: boolean, output: string, version: string }}
 */
export function njsCliCheck(runtime, bundlePath = join(ROOT, 'dist', 'region-router.js'), handlers = ROUTER_HANDLERS) {
  const bundle = realpathSync(bundlePath);
  const { tag } = ensureImage(runtime.release);
  const version = runSync(tag, ['njs', '-v']).out;
  const from = runtime.engine === 'qjs' ? basename(bundle) : bundle;
  const check = loadProbe(
    from,
    function (probe) {
      const argv =
        runtime.engine === 'qjs' ? ['njs', '-n', 'QuickJS', '-m', '-p', dirname(bundle), probe] : ['njs', probe];
      return runSync(tag, argv, { mounts: [dirname(probe), dirname(bundle)] });
    },
    handlers,
  );
  return { ...check, version };
}

/**
 * Has this machine's own njs CLI (Debian's `njs` package) load the bundle; undefined when none is
 * installed. Needs no Docker: the build runs it every time.
 * @param {string} bundlePath
 * @param {string[]} [handlers] the functions its default export must have (default: the router's)
 * @returns {{ ok: boolean, output: string, version: string } | undefined}
 */
export function hostNjsCheck(bundlePath, handlers = ROUTER_HANDLERS) {
  const version = spawnSync('njs', ['-v'], { encoding: 'utf8' });
  if (version.error) return undefined;
  const check = loadProbe(
    realpathSync(bundlePath),
    function (probe) {
      const r = spawnSync('njs', [probe], { encoding: 'utf8', timeout: 60000 });
      return { status: r.status, out: ((r.stdout || '') + (r.stderr || '')).trim(), error: r.error };
    },
    handlers,
  );
  return { ...check, version: version.stdout.trim() };
}

// Standalone: node dev/runtimes.mjs [--runtime ID ...]
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  /** @type {Runtime[]} */
  let wanted = [];
  try {
    wanted = runtimesFromArgs(process.argv.slice(2));
  } catch (e) {
    console.error('runtimes: ' + (e instanceof Error ? e.message : String(e)));
    process.exit(2);
  }
  const bundle = join(ROOT, 'dist', 'region-router.js');
  const engine = await ensureDockerEngine({ log: console.log });
  let loaded = 0;
  try {
    for (const rt of wanted) {
      const image = ensureImage(rt.release, { log: console.log });
      const nginx = runSync(image.tag, ['nginx', '-v']).out;
      console.log(
        rt.id + ': ' + image.tag + (image.built ? ' (built in ' + image.seconds.toFixed(1) + ' s)' : ' (present)'),
      );
      console.log('  ' + nginx);
      if (!existsSync(bundle)) {
        console.log('  njs ' + runSync(image.tag, ['njs', '-v']).out + '; no bundle at ' + bundle + ' (npm run build)');
        continue;
      }
      const check = njsCliCheck(rt, bundle);
      const metrics = njsCliCheck(rt, METRICS_BUNDLE, METRICS_HANDLERS);
      console.log(
        '  njs ' +
          check.version +
          ', engine ' +
          rt.engine +
          ': ' +
          (check.ok ? 'bundle loaded' : 'bundle NOT loaded:\n    ' + check.output.split('\n').join('\n    ')) +
          (metrics.ok ? '; metrics module loaded' : '; metrics module NOT loaded:\n    ' + metrics.output),
      );
      if (check.ok && metrics.ok) loaded++;
    }
  } finally {
    await engine.stop();
  }
  console.log('runtimes: the bundle loaded in ' + loaded + '/' + wanted.length + ' runtime njs CLIs');
  process.exitCode = loaded === wanted.length ? 0 : 1;
}
