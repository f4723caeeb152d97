// `npm run package` is reproducible: two builds from the same commit, under different umasks and time
// zones, give one sha256; and the tarball holds what the README says, with fixed owners and times.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE, METRICS_BUNDLE, ROOT } from '../../dev/paths.mjs';

const VERSION: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const NAME = 'njs-region-router-' + VERSION;
const dirs: string[] = [];

interface Build { tarball: string; sha256: string }

/** `npm run package -- --out <new dir>` in a shell with this umask and environment. */
function build(umask: string, env: Record<string, string> = {}): Build {
  const out = mkdtempSync(join(tmpdir(), 'region-router-package-test-'));
  dirs.push(out);
  const run = spawnSync('sh', ['-c', 'umask ' + umask + ' && exec npm run --silent package -- --out "$1"', 'package', out],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120000 });
  if (run.status !== 0) throw new Error('npm run package failed:\n' + run.stdout + run.stderr);
  const tarball = join(out, NAME + '.tar.gz');
  expect(readdirSync(out)).toEqual([NAME + '.tar.gz']);
  return { tarball, sha256: createHash('sha256').update(readFileSync(tarball)).digest('hex') };
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

  it('takes its time from SOURCE_DATE_EPOCH when set, not from the files', function () {
    const other = build('022', { ...envWithoutEpoch, SOURCE_DATE_EPOCH: '1000000000' } as Record<string, string>);
    expect(other.sha256).not.toBe(first.sha256);
    expect(tar(['-tvzf', other.tarball, '--full-time']).split('\n')[0]).toContain('2001-09-09 01:46:40');
  });
});
