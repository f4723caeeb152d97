// @ts-check
// npm run package: what a gateway engineer installs, in release/:
// - njs-region-router-<version>.tar.gz: the bundle and the metrics module (built first), the snippets, the
//   example, the installer and its configuration check (region-router-check), README and LICENSE, under one
//   directory njs-region-router-<version>/ laid out as in the repository (the example runs from it unchanged).
//   Byte for byte the same from the same commit: every entry has the commit's time, owner and group 0, a fixed
//   mode, entries sorted by name, and gzip stores no file name or time.
// - njs-region-router_<version>_all.deb: the same files as a Debian package (packaging/deb.mjs), reproducible too.
// - SHA256SUMS: the sha256 of both, as `sha256sum -c SHA256SUMS` reads it.
//     node packaging/package.mjs [--out DIR]     (default: release/ in the repository)
// SOURCE_DATE_EPOCH, when set, is used as the time instead of the commit's (a source tree without git).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE, METRICS_BUNDLE, ROOT } from '../dev/paths.mjs';
import { buildDeb } from './deb.mjs';

/** @param {string} message @returns {never} */
function fail(message) {
  console.error('package: ' + message);
  process.exit(1);
}

/** The time every entry gets: SOURCE_DATE_EPOCH, else the time of the commit checked out. */
function sourceDateEpoch() {
  const fromEnv = process.env.SOURCE_DATE_EPOCH;
  if (fromEnv !== undefined) {
    if (!/^\d+$/.test(fromEnv)) fail('SOURCE_DATE_EPOCH must be seconds since 1970, got ' + JSON.stringify(fromEnv));
    return Number(fromEnv);
  }
  const git = spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: ROOT, encoding: 'utf8' });
  if (git.status !== 0 || !/^\d+\s*$/.test(git.stdout)) {
    fail('no git commit to take the time from; set SOURCE_DATE_EPOCH');
  }
  return Number(git.stdout.trim());
}

/**
 * What goes into the release, as paths relative to the repository (and to the release directory), with
 * the mode each gets.
 * @returns {{ path: string, mode: number }[]}
 */
function releaseFiles() {
  const snippets = readdirSync(join(ROOT, 'nginx'))
    .filter(function (f) {
      return f.endsWith('.conf');
    })
    .map(function (f) {
      return 'nginx/' + f;
    });
  return [
    { path: 'dist/region-router.js', mode: 0o644 },
    { path: 'dist/region-router-metrics.js', mode: 0o644 },
    { path: 'nginx/example/nginx.conf', mode: 0o644 },
    { path: 'README.md', mode: 0o644 },
    { path: 'LICENSE', mode: 0o644 },
  ].concat(
    snippets.map(function (path) {
      return { path, mode: 0o644 };
    }),
  );
}

/**
 * Builds the bundle, then writes the tarball, the Debian package and SHA256SUMS into `out`.
 * @param {{ out?: string }} [options]
 * @returns {{ path: string, sha256: string, entries: number, deb: { path: string, sha256: string }, sums: string }}
 *   path, sha256, entries: the tarball's
 */
export function packageRelease(options = {}) {
  const out = resolve(options.out || join(ROOT, 'release'));
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  if (!/^\d+\.\d+\.\d+([-.+][\w.-]+)?$/.test(version))
    fail('package.json has no usable version: ' + JSON.stringify(version));
  const mtime = sourceDateEpoch();

  const build = spawnSync(process.execPath, [join(ROOT, 'build', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) fail('the build failed');

  const name = 'njs-region-router-' + version;
  const staging = mkdtempSync(join(tmpdir(), 'region-router-package-'));
  try {
    const top = join(staging, name);
    /** @param {string} dir */
    const makeDir = function (dir) {
      mkdirSync(dir, { recursive: true });
      for (let d = dir; d !== staging; d = dirname(d)) chmodSync(d, 0o755); // whatever the umask is
    };
    for (const file of releaseFiles()) {
      const from = file.path === 'dist/region-router.js' ? BUNDLE : join(ROOT, file.path);
      const to = join(top, file.path);
      makeDir(dirname(to));
      copyFileSync(from, to);
      chmodSync(to, file.mode);
    }
    makeDir(top);
    // The installer, and the check it runs (also a command of its own), at the top.
    for (const script of ['install.sh', 'region-router-check']) {
      copyFileSync(join(ROOT, 'packaging', script), join(top, script));
      chmodSync(join(top, script), 0o755);
    }
    writeFileSync(join(top, 'VERSION'), version + '\n');
    chmodSync(join(top, 'VERSION'), 0o644);

    mkdirSync(out, { recursive: true });
    const tarball = join(out, name + '.tar.gz');
    const tar = spawnSync(
      'sh',
      [
        '-c',
        'set -e; tar --sort=name --mtime="@$3" --owner=0 --group=0 --numeric-owner --format=gnu -C "$1" -cf - "$2" | gzip -9 -n > "$4"',
        'package',
        staging,
        name,
        String(mtime),
        tarball,
      ],
      { encoding: 'utf8' },
    );
    if (tar.status !== 0) fail('tar | gzip failed: ' + tar.stderr);
    const bytes = readFileSync(tarball);
    const list = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
    const sha256 = createHash('sha256').update(bytes).digest('hex');

    /** @type {{ path: string, sha256: string }} */
    let deb;
    try {
      deb = buildDeb({ version, mtime, out, bundle: BUNDLE, metricsBundle: METRICS_BUNDLE });
    } catch (e) {
      fail(e instanceof Error ? e.message : String(e));
    }
    // `sha256sum -c SHA256SUMS` format: the hash, two spaces, the name; sorted by name.
    const sums = join(out, 'SHA256SUMS');
    const lines = [
      [basename(deb.path), deb.sha256],
      [basename(tarball), sha256],
    ]
      .sort(function (a, b) {
        return a[0] < b[0] ? -1 : 1;
      })
      .map(function (pair) {
        return pair[1] + '  ' + pair[0] + '\n';
      });
    writeFileSync(sums, lines.join(''));
    return {
      path: tarball,
      sha256,
      entries: list.stdout.split('\n').filter(Boolean).length,
      deb,
      sums,
    };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  /** @type {string | undefined} */
  let out;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--out' && args[i + 1]) out = args[++i];
    else fail('usage: node packaging/package.mjs [--out DIR]');
  }
  const made = packageRelease({ out });
  console.log('package: ' + made.path + ' (' + made.entries + ' entries) sha256 ' + made.sha256);
  console.log('package: ' + made.deb.path + ' sha256 ' + made.deb.sha256);
  console.log('package: ' + made.sums);
}
