// @ts-check
// The Debian package of a release, njs-region-router_<version>_all.deb, built with dpkg-deb alone (no
// debhelper, no network), byte for byte the same from the same commit. packaging/package.mjs calls it next to
// the tarball; packaging/debian/ holds its sources (control, changelog, copyright, maintainer scripts, the
// check's manual page).
//
// Layout: the release's files where Debian keeps a package's data, linked from where the README's wiring (the
// same for the tarball's install.sh) includes them, so that one wiring serves both:
//   /usr/share/njs-region-router/njs/region-router.js, region-router-metrics.js    the njs modules
//   /usr/share/njs-region-router/snippets/*.conf      every snippet, regions.conf as this version's default table
//   /etc/nginx/njs/region-router(-metrics).js  -> /usr/share/njs-region-router/njs/...      (js_path /etc/nginx/njs/;)
//   /etc/nginx/region-router/<snippet>.conf    -> /usr/share/njs-region-router/snippets/... (include region-router/...;)
//   /etc/nginx/region-router/regions.conf      the region table: a conffile (kept across upgrades, removed on purge)
//   /usr/sbin/njs-region-router-check          region-router-check, with its manual page in section 8
//   /usr/share/doc/njs-region-router/          README.md.gz, changelog.gz, copyright, examples/nginx.conf
//   /usr/share/lintian/overrides/njs-region-router   lintian's false positives, explained
// The links are dpkg's files: an upgrade replaces what they point to, a removal takes them away, and nothing
// of them is a conffile to ask about. Installing enables nothing (nginx includes none of it until the user
// wires it in), so the package never reloads nginx: the postinst checks and tells the user to reload.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { ROOT } from '../dev/paths.mjs';

export const PACKAGE = 'njs-region-router';
const DEBIAN = join(ROOT, 'packaging', 'debian');
const SHARE = '/usr/share/' + PACKAGE;
const DOC = '/usr/share/doc/' + PACKAGE;
const CHECK = '/usr/sbin/njs-region-router-check';
export const TABLE = '/etc/nginx/region-router/regions.conf';

/**
 * package.json's version as Debian orders it: a pre-release (1.0.0-rc.1) sorts before its release in semver,
 * and in Debian only with a tilde (1.0.0~rc.1); a hyphen would also read as a Debian revision.
 * @param {string} version
 */
export function debianVersion(version) {
  return version.replace('-', '~');
}

/** @param {string} version */
export function debName(version) {
  return PACKAGE + '_' + debianVersion(version) + '_all.deb';
}

/** @param {string} message @returns {never} */
function fail(message) {
  throw new Error('deb: ' + message);
}

/**
 * gzip -9n, as dh_compress runs it (and as the tarball is compressed): no name, no time, so the same bytes
 * every time with the same gzip.
 * @param {Buffer | string} data
 * @returns {Buffer}
 */
function gzip(data) {
  const r = spawnSync('gzip', ['-9n'], { input: data });
  if (r.status !== 0) fail('gzip -9n failed: ' + String(r.stderr));
  return r.stdout;
}

/**
 * The latest version of packaging/debian/changelog, which must be this release's.
 * @param {string} text
 */
function changelogVersion(text) {
  const m = /^njs-region-router \(([^)]+)\) [a-z-]+; urgency=[a-z]+\n/.exec(text);
  if (!m) fail('packaging/debian/changelog does not start with "njs-region-router (<version>) <suite>; urgency=..."');
  return m[1];
}

/**
 * copyright: packaging/debian/copyright's header, then LICENSE's text as the Expat license (from its line
 * after "Copyright (c) ..."), each line indented by one space and blank lines as " .", as DEP-5 wants.
 */
function copyright() {
  const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8').split('\n');
  const start = license.findIndex(function (l) {
    return l.startsWith('Permission is hereby granted');
  });
  if (start < 0) fail('LICENSE is not the MIT (Expat) license this package declares');
  const body = license
    .slice(start)
    .join('\n')
    .trimEnd()
    .split('\n')
    .map(function (l) {
      return l.trim() === '' ? ' .' : ' ' + l;
    });
  return readFileSync(join(DEBIAN, 'copyright'), 'utf8').trimEnd() + '\n' + body.join('\n') + '\n';
}

/** @param {string} template @param {Record<string, string>} values */
function fill(template, values) {
  return template.replace(/@([A-Z_]+)@/g, function (all, name) {
    if (!(name in values)) fail('no value for ' + all);
    return values[name];
  });
}

/**
 * Builds the .deb into `out`.
 * @param {{ version: string, mtime: number, out: string, bundle: string, metricsBundle: string }} o
 *   version: package.json's; mtime: the commit's time (SOURCE_DATE_EPOCH); bundle, metricsBundle: the built modules
 * @returns {{ path: string, sha256: string }}
 */
export function buildDeb(o) {
  const version = debianVersion(o.version);
  const changelog = readFileSync(join(DEBIAN, 'changelog'), 'utf8');
  if (changelogVersion(changelog) !== version) {
    fail(
      'packaging/debian/changelog starts with version ' +
        changelogVersion(changelog) +
        ', package.json is ' +
        version +
        ': add a changelog entry for ' +
        version,
    );
  }
  const hasDpkgDeb = spawnSync('dpkg-deb', ['--version'], { encoding: 'utf8' });
  if (hasDpkgDeb.error || hasDpkgDeb.status !== 0)
    fail('dpkg-deb is needed to build the Debian package (Debian: dpkg)');

  const staging = mkdtempSync(join(tmpdir(), 'region-router-deb-'));
  const root = join(staging, 'root');
  try {
    /** @param {string} path absolute, as installed */
    const at = function (path) {
      return join(root, path);
    };
    /** @param {string} path @param {string | Buffer} data @param {number} mode */
    const put = function (path, data, mode) {
      mkdirSync(dirname(at(path)), { recursive: true });
      writeFileSync(at(path), data);
      chmodSync(at(path), mode);
    };
    /** @param {string} path @param {string} target */
    const link = function (path, target) {
      mkdirSync(dirname(at(path)), { recursive: true });
      symlinkSync(target, at(path));
    };
    const date = new Date(o.mtime * 1000).toISOString().slice(0, 10);

    // The njs modules and the snippets, linked from /etc/nginx.
    put(SHARE + '/njs/region-router.js', readFileSync(o.bundle), 0o644);
    put(SHARE + '/njs/region-router-metrics.js', readFileSync(o.metricsBundle), 0o644);
    link('/etc/nginx/njs/region-router.js', SHARE + '/njs/region-router.js');
    link('/etc/nginx/njs/region-router-metrics.js', SHARE + '/njs/region-router-metrics.js');
    const snippets = readdirSync(join(ROOT, 'nginx'))
      .filter(function (f) {
        return f.endsWith('.conf');
      })
      .sort();
    if (!snippets.includes('regions.conf')) fail('nginx/regions.conf is missing');
    for (const name of snippets) {
      const text = readFileSync(join(ROOT, 'nginx', name));
      put(SHARE + '/snippets/' + name, text, 0o644);
      if (name === 'regions.conf') put(TABLE, text, 0o644);
      else link('/etc/nginx/region-router/' + name, SHARE + '/snippets/' + name);
    }

    // The check, as a command, with its manual page.
    put(CHECK, readFileSync(join(ROOT, 'packaging', 'region-router-check')), 0o755);
    const man = fill(readFileSync(join(DEBIAN, 'njs-region-router-check.8'), 'utf8'), { VERSION: version, DATE: date });
    put('/usr/share/man/man8/njs-region-router-check.8.gz', gzip(man), 0o644);

    // Documentation: README compressed as dh_compress would (over 4 KB), the example as is.
    put(DOC + '/README.md.gz', gzip(readFileSync(join(ROOT, 'README.md'))), 0o644);
    put(DOC + '/changelog.gz', gzip(changelog), 0o644);
    put(DOC + '/copyright', copyright(), 0o644);
    put(DOC + '/examples/nginx.conf', readFileSync(join(ROOT, 'nginx', 'example', 'nginx.conf')), 0o644);
    // lintian's explained false positives (the check's awk program read as shell).
    put('/usr/share/lintian/overrides/' + PACKAGE, readFileSync(join(DEBIAN, 'lintian-overrides')), 0o644);

    // Every entry of the tree, sorted; directories 0755 whatever the umask.
    /** @type {{ path: string, kind: 'dir' | 'file' | 'link', size: number }[]} */
    const entries = [];
    /** @param {string} dir */
    const walk = function (dir) {
      for (const name of readdirSync(dir).sort()) {
        const full = join(dir, name);
        const st = lstatSync(full);
        const path = '/' + relative(root, full);
        if (st.isDirectory()) {
          chmodSync(full, 0o755);
          entries.push({ path, kind: 'dir', size: 0 });
          walk(full);
        } else if (st.isSymbolicLink()) {
          entries.push({ path, kind: 'link', size: st.size });
        } else {
          entries.push({ path, kind: 'file', size: st.size });
        }
      }
    };
    walk(root);
    chmodSync(root, 0o755);

    // Installed-Size as dpkg-gencontrol counts it: KiB of each file rounded up, 1 for each directory and link.
    let installedSize = 0;
    for (const e of entries) installedSize += e.kind === 'file' ? Math.ceil(e.size / 1024) : 1;

    // DEBIAN/: control, conffiles, md5sums (files but conffiles, as dh_md5sums), the maintainer scripts.
    const control = join(root, 'DEBIAN');
    mkdirSync(control);
    chmodSync(control, 0o755);
    const values = { VERSION: version, INSTALLED_SIZE: String(installedSize) };
    put('/DEBIAN/control', fill(readFileSync(join(DEBIAN, 'control'), 'utf8'), values), 0o644);
    put('/DEBIAN/conffiles', TABLE + '\n', 0o644);
    const md5sums = entries
      .filter(function (e) {
        return e.kind === 'file' && e.path !== TABLE;
      })
      .map(function (e) {
        return (
          createHash('md5')
            .update(readFileSync(at(e.path)))
            .digest('hex') +
          '  ' +
          e.path.slice(1) +
          '\n'
        );
      })
      .join('');
    put('/DEBIAN/md5sums', md5sums, 0o644);
    for (const script of ['preinst', 'postinst', 'prerm', 'postrm']) {
      put('/DEBIAN/' + script, fill(readFileSync(join(DEBIAN, script), 'utf8'), values), 0o755);
    }

    // Every entry gets the commit's time (links too: touch -h); dpkg-deb also clamps to SOURCE_DATE_EPOCH.
    // Owner and group 0 (--root-owner-group); xz (dpkg-deb's level) on one thread, so that the bytes do not depend
    // on the number of cores.
    const deb = join(o.out, debName(o.version));
    mkdirSync(o.out, { recursive: true });
    const build = spawnSync(
      'sh',
      [
        '-c',
        'set -e; find "$1" -exec touch -h -d "@$2" {} +; dpkg-deb --root-owner-group -Zxz --threads-max=1 --build "$1" "$3" >/dev/null',
        'deb',
        root,
        String(o.mtime),
        deb,
      ],
      { encoding: 'utf8', env: { ...process.env, SOURCE_DATE_EPOCH: String(o.mtime), LC_ALL: 'C', TZ: 'UTC' } },
    );
    if (build.status !== 0) fail('dpkg-deb --build failed: ' + build.stderr);
    return { path: deb, sha256: createHash('sha256').update(readFileSync(deb)).digest('hex') };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
