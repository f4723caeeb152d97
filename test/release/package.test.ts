// `npm run package` is reproducible: two builds from the same commit, under different umasks and time
// zones, give one sha256 per artifact (the tarball, the Debian package, SHA256SUMS); the tarball holds what the
// README says, with fixed owners and times; the .deb holds the same files where Debian keeps them, passes
// lintian, and its maintainer scripts are clean under shellcheck; `sha256sum -c SHA256SUMS` passes.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE, METRICS_BUNDLE, ROOT } from '../../dev/paths.mjs';

const VERSION: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const NAME = 'njs-region-router-' + VERSION;
const DEB = 'njs-region-router_' + VERSION.replace('-', '~') + '_all.deb';
const dirs: string[] = [];

interface Build { out: string; tarball: string; sha256: string; deb: string; debSha256: string; sums: string }

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** `npm run package -- --out <new dir>` in a shell with this umask and environment. */
function build(umask: string, env: Record<string, string> = {}): Build {
  const out = mkdtempSync(join(tmpdir(), 'region-router-package-test-'));
  dirs.push(out);
  const run = spawnSync('sh', ['-c', 'umask ' + umask + ' && exec npm run --silent package -- --out "$1"', 'package', out],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120000 });
  if (run.status !== 0) throw new Error('npm run package failed:\n' + run.stdout + run.stderr);
  const tarball = join(out, NAME + '.tar.gz');
  const deb = join(out, DEB);
  expect(readdirSync(out).sort()).toEqual([NAME + '.tar.gz', 'SHA256SUMS', DEB].sort());
  return { out, tarball, sha256: sha256(tarball), deb, debSha256: sha256(deb), sums: readFileSync(join(out, 'SHA256SUMS'), 'utf8') };
}

function dpkgDeb(args: string[]): string {
  const r = spawnSync('dpkg-deb', args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' } });
  if (r.status !== 0) throw new Error('dpkg-deb ' + args.join(' ') + ': ' + r.stderr);
  return r.stdout;
}

function tar(args: string[]): string {
  const r = spawnSync('tar', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('tar ' + args.join(' ') + ': ' + r.stderr);
  return r.stdout;
}

let first: Build;
let second: Build;
const envWithoutEpoch = { ...process.env };
delete envWithoutEpoch.SOURCE_DATE_EPOCH;

beforeAll(async function () {
  first = build('022', { TZ: 'UTC' });
  // In another second, so that any time taken from the clock or the copied files would differ.
  await new Promise(function (r) { setTimeout(r, 1100); });
  second = build('077', { TZ: 'Pacific/Auckland', LC_ALL: 'C' });
}, 240000);

afterAll(function () {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('npm run package', function () {
  it('is byte for byte reproducible: two builds, one sha256', function () {
    expect(second.sha256).toBe(first.sha256);
    console.log('package: two builds, one sha256 ' + first.sha256 + ' (' + NAME + '.tar.gz)');
  });

  it('writes a byte for byte reproducible Debian package, and SHA256SUMS of both that sha256sum -c accepts', function () {
    expect(second.debSha256).toBe(first.debSha256);
    expect(second.sums).toBe(first.sums);
    expect(first.sums).toBe(first.sha256 + '  ' + NAME + '.tar.gz\n' + first.debSha256 + '  ' + DEB + '\n');
    const check = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: first.out, encoding: 'utf8' });
    expect(check.stdout + check.stderr).toBe(NAME + '.tar.gz: OK\n' + DEB + ': OK\n');
    expect(check.status).toBe(0);
    console.log('package: two builds, one sha256 ' + first.debSha256 + ' (' + DEB + '); sha256sum -c SHA256SUMS: OK');
  });

  it('holds the bundle, the snippets, the example, the installer and region-router-check, README and LICENSE, sorted by name', function () {
    const snippets = readdirSync(join(ROOT, 'nginx')).filter(function (f) { return f.endsWith('.conf'); }).sort();
    const expected = ['', 'LICENSE', 'README.md', 'VERSION', 'dist/', 'dist/region-router-metrics.js', 'dist/region-router.js', 'install.sh', 'nginx/', 'region-router-check']
      .concat(snippets.map(function (f) { return 'nginx/' + f; }), ['nginx/example/', 'nginx/example/nginx.conf'])
      .map(function (p) { return NAME + '/' + p; })
      .sort();
    const listed = tar(['-tzf', first.tarball]).split('\n').filter(Boolean);
    expect(listed).toEqual(expected);
    expect(tar(['-xzOf', first.tarball, NAME + '/dist/region-router.js'])).toBe(readFileSync(BUNDLE, 'utf8'));
    expect(tar(['-xzOf', first.tarball, NAME + '/dist/region-router-metrics.js'])).toBe(readFileSync(METRICS_BUNDLE, 'utf8'));
    for (const f of snippets) {
      expect(tar(['-xzOf', first.tarball, NAME + '/nginx/' + f])).toBe(readFileSync(join(ROOT, 'nginx', f), 'utf8'));
    }
    for (const script of ['install.sh', 'region-router-check']) {
      expect(tar(['-xzOf', first.tarball, NAME + '/' + script])).toBe(readFileSync(join(ROOT, 'packaging', script), 'utf8'));
    }
    expect(tar(['-xzOf', first.tarball, NAME + '/VERSION'])).toBe(VERSION + '\n');
    expect(tar(['-xzOf', first.tarball, NAME + '/LICENSE'])).toMatch(/^MIT License\n\nCopyright \(c\) njs-region-router contributors\n/);
  });

  it('gives every entry owner 0:0, a fixed mode and the commit time; gzip stores no name or time', function () {
    const commitTime = Number(spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim());
    const lines = tar(['-tvzf', first.tarball, '--numeric-owner', '--full-time']).split('\n').filter(Boolean);
    for (const line of lines) {
      const [mode, owner, , date, time, name] = line.split(/\s+/);
      expect(owner, name).toBe('0/0');
      expect(Date.parse(date + 'T' + time + 'Z') / 1000, name).toBe(process.env.SOURCE_DATE_EPOCH ? Number(process.env.SOURCE_DATE_EPOCH) : commitTime);
      expect(mode, name).toBe(name.endsWith('/') ? 'drwxr-xr-x' : /\/(install\.sh|region-router-check)$/.test(name) ? '-rwxr-xr-x' : '-rw-r--r--');
    }
    const gz = readFileSync(first.tarball);
    expect(gz[3] & 0x08, 'gzip FNAME flag').toBe(0);
    expect(gz.readUInt32LE(4), 'gzip MTIME').toBe(0);
  });

  it('the .deb: control fields, conffiles, the files where Debian keeps them, links from where the README\'s wiring looks, owner 0:0, the commit time', function () {
    const control = dpkgDeb(['-f', first.deb]);
    expect(control).toMatch(new RegExp('^Package: njs-region-router\nVersion: ' + VERSION.replace('-', '~').replace(/[.+]/g, '\\$&') + '\nArchitecture: all\n'));
    expect(control).toContain('\nDepends: nginx (>= 1.22.1), libnginx-mod-http-js (>= 0.7.9)\n');
    expect(control).toContain('\nSection: httpd\nPriority: optional\n');
    expect(control).toMatch(/\nInstalled-Size: \d+\n/);
    const info = dpkgDeb(['-I', first.deb]);
    for (const member of ['conffiles', 'control', 'md5sums', 'postinst', 'postrm', 'preinst', 'prerm']) expect(info).toMatch(new RegExp('\\d+ bytes, +\\d+ lines +' + (/inst|rm/.test(member) ? '\\* +' : '') + member + ' '));
    const scratch = mkdtempSync(join(tmpdir(), 'region-router-deb-control-'));
    dirs.push(scratch);
    dpkgDeb(['-e', first.deb, scratch]);
    expect(readFileSync(join(scratch, 'conffiles'), 'utf8')).toBe('/etc/nginx/region-router/regions.conf\n');
    expect(readFileSync(join(scratch, 'postinst'), 'utf8')).toContain('\nVERSION=' + VERSION.replace('-', '~') + '\n');

    const commitTime = process.env.SOURCE_DATE_EPOCH ? Number(process.env.SOURCE_DATE_EPOCH) : Number(spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim());
    const entries: Record<string, string> = {};
    for (const line of dpkgDeb(['-c', first.deb]).split('\n').filter(Boolean)) {
      const m = /^(\S+) (\S+) +\d+ (\S+ \S+) \.(\/\S*)(?: -> (\S+))?$/.exec(line);
      if (!m) throw new Error('dpkg-deb -c: ' + line);
      const [, mode, owner, time, path, target] = m;
      expect(owner, path).toBe('root/root');
      expect(Date.parse(time.replace(' ', 'T') + 'Z') / 1000, path).toBe(commitTime - (commitTime % 60)); // dpkg-deb -c shows minutes
      entries[path] = mode + (target ? ' -> ' + target : '');
    }
    const snippets = readdirSync(join(ROOT, 'nginx')).filter(function (f) { return f.endsWith('.conf'); }).sort();
    const share = '/usr/share/njs-region-router/';
    const expected: Record<string, string> = {
      '/usr/share/njs-region-router/njs/region-router.js': '-rw-r--r--',
      '/usr/share/njs-region-router/njs/region-router-metrics.js': '-rw-r--r--',
      '/etc/nginx/njs/region-router.js': 'lrwxrwxrwx -> ' + share + 'njs/region-router.js',
      '/etc/nginx/njs/region-router-metrics.js': 'lrwxrwxrwx -> ' + share + 'njs/region-router-metrics.js',
      '/etc/nginx/region-router/regions.conf': '-rw-r--r--',
      '/usr/sbin/njs-region-router-check': '-rwxr-xr-x',
      '/usr/share/man/man8/njs-region-router-check.8.gz': '-rw-r--r--',
      '/usr/share/doc/njs-region-router/README.md.gz': '-rw-r--r--',
      '/usr/share/doc/njs-region-router/changelog.gz': '-rw-r--r--',
      '/usr/share/doc/njs-region-router/copyright': '-rw-r--r--',
      '/usr/share/doc/njs-region-router/examples/nginx.conf': '-rw-r--r--',
      '/usr/share/lintian/overrides/njs-region-router': '-rw-r--r--',
    };
    for (const f of snippets) {
      expected[share + 'snippets/' + f] = '-rw-r--r--';
      if (f !== 'regions.conf') expected['/etc/nginx/region-router/' + f] = 'lrwxrwxrwx -> ' + share + 'snippets/' + f;
    }
    const files = Object.keys(entries).filter(function (p) { return !p.endsWith('/'); }).sort();
    expect(files).toEqual(Object.keys(expected).sort());
    for (const p of files) expect(entries[p], p).toBe(expected[p]);
    for (const p of Object.keys(entries).filter(function (p) { return p.endsWith('/'); })) expect(entries[p], p).toBe('drwxr-xr-x');

    // The files are the release's
    const data = mkdtempSync(join(tmpdir(), 'region-router-deb-data-'));
    dirs.push(data);
    dpkgDeb(['-x', first.deb, data]);
    expect(readFileSync(join(data, share, 'njs/region-router.js'), 'utf8')).toBe(readFileSync(BUNDLE, 'utf8'));
    expect(readFileSync(join(data, share, 'njs/region-router-metrics.js'), 'utf8')).toBe(readFileSync(METRICS_BUNDLE, 'utf8'));
    for (const f of snippets) expect(readFileSync(join(data, share, 'snippets', f), 'utf8'), f).toBe(readFileSync(join(ROOT, 'nginx', f), 'utf8'));
    expect(readFileSync(join(data, 'etc/nginx/region-router/regions.conf'), 'utf8')).toBe(readFileSync(join(ROOT, 'nginx', 'regions.conf'), 'utf8'));
    expect(readFileSync(join(data, 'usr/sbin/njs-region-router-check'), 'utf8')).toBe(readFileSync(join(ROOT, 'packaging', 'region-router-check'), 'utf8'));
    expect(gunzipSync(readFileSync(join(data, 'usr/share/doc/njs-region-router/README.md.gz'))).toString('utf8')).toBe(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    const copyright = readFileSync(join(data, 'usr/share/doc/njs-region-router/copyright'), 'utf8');
    expect(copyright).toMatch(/^Format: https:\/\/www\.debian\.org\/doc\/packaging-manuals\/copyright-format\/1\.0\/\n/);
    expect(copyright).toContain('\nLicense: Expat\n Permission is hereby granted, free of charge, to any person obtaining a copy\n');
    // md5sums: every file but the conffile
    const md5sums = readFileSync(join(scratch, 'md5sums'), 'utf8').split('\n').filter(Boolean).map(function (l) { return l.replace(/^[0-9a-f]{32} {2}/, '/'); });
    expect(md5sums).toEqual(files.filter(function (p) { return !entries[p].startsWith('l') && p !== '/etc/nginx/region-router/regions.conf'; }));
  });

  it('the .deb passes lintian (the overrides it ships explain its false positives), and its maintainer scripts shellcheck', function () {
    const lintian = spawnSync('lintian', ['--display-info', '--pedantic', '--display-experimental', '--fail-on', 'error,warning,info,pedantic,experimental', first.deb], { encoding: 'utf8', timeout: 120000 });
    if (lintian.error) throw new Error('lintian is not installed (apt-get install lintian; scripts/setup.sh does)');
    const said = (lintian.stdout + lintian.stderr).split('\n').filter(function (l) { return l !== '' && l !== 'running with root privileges is not recommended!'; });
    expect(said).toEqual([]);
    expect(lintian.status).toBe(0);
    const overridden = spawnSync('lintian', ['--display-info', '--show-overrides', first.deb], { encoding: 'utf8', timeout: 120000 });
    const tags = overridden.stdout.split('\n').filter(function (l) { return l.startsWith('O: '); });
    for (const t of tags) expect(t).toMatch(/^O: njs-region-router: bash-term-in-posix-shell '(function \w+\(|\$\[A-Za-z0-9_\])' \[usr\/sbin\/njs-region-router-check:\d+\]$/);
    console.log('package: lintian --pedantic: clean; ' + tags.length + ' overridden (bash-term-in-posix-shell: the check\'s awk program read as shell)');

    const scripts = ['preinst', 'postinst', 'prerm', 'postrm'].map(function (s) { return join(ROOT, 'packaging', 'debian', s); });
    const check = spawnSync('shellcheck', ['-s', 'sh'].concat(scripts), { encoding: 'utf8' });
    if (check.error) throw new Error('shellcheck is not installed (apt-get install shellcheck; scripts/setup.sh does)');
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('takes its time from SOURCE_DATE_EPOCH when set, not from the files', function () {
    const other = build('022', { ...envWithoutEpoch, SOURCE_DATE_EPOCH: '1000000000' } as Record<string, string>);
    expect(other.sha256).not.toBe(first.sha256);
    expect(tar(['-tvzf', other.tarball, '--full-time']).split('\n')[0]).toContain('2001-09-09 01:46:40');
    expect(other.debSha256).not.toBe(first.debSha256);
    expect(dpkgDeb(['-c', other.deb]).split('\n')[0]).toContain(' 2001-09-09 01:46 ./');
  });
});
