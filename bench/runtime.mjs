// Where the benchmark's nginx processes run, per runtime (dev/runtimes.mjs): bookworm-njs on the host's
// own nginx, the others inside the runtime's image, with host networking and `--pid host` (so the worker's
// /proc entry, read from here for CPU time and memory, is the real one and worker_cpu_affinity pins it), the
// repository and the benchmark's temporary files mounted at the same paths.
//
// The Lua reference and the instruction counts need more than a runtime image holds: Debian's
// libnginx-mod-http-lua and lua-cjson, and valgrind. They come from a derived "bench" image per release
// (the runtime image plus those packages, made once with apt-get and `docker commit`, cached by tag). The
// njs processes keep running in the runtime image itself.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { ensureImage, imageRuntime, jsEngineDirective } from '../dev/runtimes.mjs';
import { localRuntime } from '../dev/processes.mjs';

const BENCH_PACKAGES = ['libnginx-mod-http-lua', 'lua-cjson', 'valgrind'];
// nginx and the njs module must stay exactly those of the runtime image (apt may not upgrade them)
const PINNED = ['nginx-light', 'libnginx-mod-http-js'];
const HOST_LUA = [
  '/usr/lib/nginx/modules/ndk_http_module.so',
  '/usr/lib/nginx/modules/ngx_http_lua_module.so',
  '/usr/lib/x86_64-linux-gnu/lua/5.1/cjson.so',
];

function run(cmd, args, opts) {
  const r = spawnSync(cmd, args, Object.assign({ encoding: 'utf8', timeout: 600000 }, opts));
  return { status: r.status, out: ((r.stdout || '') + (r.stderr || '')).trim() };
}

function imageExists(tag) {
  return run('docker', ['image', 'inspect', '--format', '{{.Id}}', tag]).status === 0;
}

function packageVersions(tag, names) {
  const r = run(
    'docker',
    ['run', '--rm', '--network', 'host', tag, 'dpkg-query', '-W', '-f', '${Package}=${Version}\\n'].concat(names),
  );
  return r.status === 0 ? r.out : '';
}

/**
 * The release's bench image (runtime image + Lua + valgrind), built when its tag is missing.
 * @returns {{ tag?: string, error?: string }}
 */
export function ensureBenchImage(release, log) {
  const base = ensureImage(release, { log }).tag;
  const hash = createHash('sha256').update([base].concat(BENCH_PACKAGES).join('\n')).digest('hex').slice(0, 12);
  const tag = 'njs-region-router/bench:' + release + '-' + hash;
  if (imageExists(tag)) return { tag };
  const container = 'region-router-bench-image-' + process.pid + '-' + release;
  log('bench: building ' + tag + ' (' + base + ' + ' + BENCH_PACKAGES.join(', ') + ')');
  // forky is Debian testing: its Release files may be past their Valid-Until on a mirror snapshot
  const script =
    'set -e; export DEBIAN_FRONTEND=noninteractive; ' +
    'apt-get -o Acquire::Check-Valid-Until=false update -qq; ' +
    'apt-get install -y -qq --no-install-recommends ' +
    BENCH_PACKAGES.join(' ') +
    ' >/dev/null; ' +
    'rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb';
  spawnSync('docker', ['rm', '-f', container], { stdio: 'ignore' });
  try {
    const built = run('docker', ['run', '--name', container, '--network', 'host', base, 'sh', '-c', script]);
    if (built.status !== 0)
      return { error: 'apt-get in ' + base + ' failed: ' + built.out.split('\n').slice(-5).join(' ') };
    const commit = run('docker', ['commit', container, tag]);
    if (commit.status !== 0) return { error: 'docker commit failed: ' + commit.out };
  } finally {
    spawnSync('docker', ['rm', '-f', container], { stdio: 'ignore' });
  }
  const before = packageVersions(base, PINNED);
  const after = packageVersions(tag, PINNED);
  if (before !== after) {
    spawnSync('docker', ['rmi', tag], { stdio: 'ignore' });
    return {
      error:
        'installing ' +
        BENCH_PACKAGES.join(', ') +
        ' would change ' +
        before.replace(/\n/g, ', ') +
        ' to ' +
        after.replace(/\n/g, ', '),
    };
  }
  return { tag };
}

/**
 * A dev/processes.mjs Runtime (for dev/nginx.mjs startNginx) that runs nginx in `tag`, or on the host
 * when `tag` is undefined.
 * @param {string | undefined} tag
 * @param {string[]} readOnly directories nginx reads besides the repository
 */
export function nginxRuntime(tag, readOnly) {
  if (!tag) return localRuntime();
  return imageRuntime(tag, { namePrefix: 'region-router-bench-' + process.pid + '-', mounts: readOnly, pidHost: true });
}

/**
 * Everything the benchmark needs to know about one runtime: where its nginx runs (image tag, or undefined
 * for the host), where Lua and valgrind run (the bench image, or the host), versions, the engine line.
 * @param {import('../dev/runtimes.mjs').Runtime} runtime
 * @param {{ log: (line: string) => void, needBenchImage: boolean }} opts
 */
export function prepareRuntime(runtime, opts) {
  const onHost = runtime.id === 'bookworm-njs';
  const tag = onHost ? undefined : ensureImage(runtime.release, { log: opts.log }).tag;
  const inImage = function (image, argv) {
    return image
      ? run('docker', ['run', '--rm', '--network', 'host', image].concat(argv))
      : run(argv[0], argv.slice(1));
  };
  let benchTag;
  let benchError;
  if (onHost) {
    const missing = HOST_LUA.filter(function (f) {
      return !existsSync(f);
    });
    if (missing.length) benchError = 'no ' + missing.join(', ') + ' (apt-get install libnginx-mod-http-lua lua-cjson)';
  } else if (opts.needBenchImage) {
    const b = ensureBenchImage(runtime.release, opts.log);
    benchTag = b.tag;
    benchError = b.error;
  }
  const version = function (image, argv, pattern) {
    const m = pattern.exec(inImage(image, argv).out);
    return m ? m[0] : '?';
  };
  const luaImage = onHost ? undefined : benchTag;
  const luaAvailable = !benchError && (onHost || Boolean(benchTag));
  return {
    runtime,
    engineDirective: jsEngineDirective(runtime),
    /** image of the njs processes; undefined: the host */
    tag,
    /** image with Lua and valgrind; undefined with lua.available: the host */
    benchTag,
    lua: {
      available: luaAvailable,
      reason: benchError || (luaAvailable ? '' : 'not prepared'),
      tag: luaImage,
      version: luaAvailable
        ? version(luaImage, ['dpkg-query', '-W', '-f', '${Version}', 'libnginx-mod-http-lua'], /\S+/)
        : undefined,
    },
    versions: {
      nginx: version(tag, ['nginx', '-v'], /nginx\/[\d.]+/),
      njs: 'njs/' + version(tag, ['njs', '-v'], /[\d.]+/),
      engine: runtime.engine,
    },
  };
}
