// The Debian package against Debian's own nginx, in the runtime images of dev/runtimes.mjs (bookworm: nginx
// 1.22.1 with njs 0.7.9, the oldest we support; forky: nginx 1.30.6 with njs 1.0.2), offline: the images
// already have nginx and the njs module, and apt installs the .deb from a file. In each image, as on a real
// gateway, each step building on the one before: install, wire as the README says (its block, with 127.0.0.1
// listeners and echo upstreams on the host), route a cookie GET, a bearer GET and a form POST; upgrade to a newer
// build with an edited regions.conf; a failing check; removal while wired; purge; and the takeover of a tarball
// install (install.sh). nginx runs all along, and the package must never reload it: every step compares nginx's
// worker processes before and after (a reload replaces them).
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDockerEngine } from '../../dev/docker-engine.mjs';
import { startEchoUpstream } from '../../dev/echo-upstream.mjs';
import type { EchoUpstream } from '../../dev/echo-upstream.mjs';
import { ROOT } from '../../dev/paths.mjs';
import { freePort } from '../../dev/ports.mjs';
import { ensureImage, runInImage } from '../../dev/runtimes.mjs';
import { mintWrappedToken } from '../../dev/tokens.mjs';
import { packageRelease } from '../../packaging/package.mjs';
import { answer, inContainer, readmeWiring } from './release-gateway';
import type { Run } from './release-gateway';

const VERSION: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const NEXT = VERSION + '+next'; // a newer build: sorts after VERSION for dpkg
const TABLE = '/etc/nginx/region-router/regions.conf';
const RELEASES = ['bookworm', 'forky'] as const;

let out = '';
let deb = '';
let nextDeb = '';
let tarball = '';
let engine: { stop(): Promise<void> } | undefined;
const upstreams: EchoUpstream[] = [];
const upstreamPort: Record<string, number> = {};
let usToken = '';
const started = Date.now();

/** The newer build: the same package with version NEXT and a line more in http.conf, repacked with dpkg-deb. */
function repackNext(from: string, to: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'region-router-deb-next-'));
  try {
    const script = [
      'set -e',
      'dpkg-deb -R "$1" "$3/root"',
      'cd "$3/root"',
      'echo "# next build" >> usr/share/njs-region-router/snippets/http.conf',
      'sed -i -e "s/^Version: .*/Version: $4/" DEBIAN/control',
      'sed -i -e "s/^VERSION=.*/VERSION=$4/" DEBIAN/postinst',
      'find . -type f ! -path "./DEBIAN/*" ! -path ./etc/nginx/region-router/regions.conf | sort | sed "s#^\\./##" | xargs md5sum > DEBIAN/md5sums',
      'cd / && dpkg-deb --root-owner-group -b "$3/root" "$2" >/dev/null',
    ].join('\n');
    const r = spawnSync('sh', ['-c', script, 'repack', from, to, dir, NEXT], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error('repacking the next build failed: ' + r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.each(RELEASES)('the Debian package on %s', function (release) {
  const container = 'njs-region-router-deb-test-' + release + '-' + process.pid;
  let docker: ChildProcess | undefined;
  let identityPort = 0;
  let apiPort = 0;
  let wiring = '';
  let versions = '';

  const { sh, must } = inContainer(container, 120000, 'the ' + release + ' container');
  /** apt-get, as a user runs it, non-interactive, with stdin closed: a conffile prompt would fail it. apt runs
   * dpkg on a pseudo-terminal: what the maintainer scripts print, to stdout or stderr, is in its stdout, with
   * CR LF line ends; `output` has them as LF. */
  function apt(args: string): Run {
    const r = sh('DEBIAN_FRONTEND=noninteractive apt-get ' + args + ' </dev/null');
    return { ...r, output: r.output.replace(/\r\n/g, '\n') };
  }
  /** nginx's master and worker pids: a reload or restart changes the workers. */
  function nginxProcesses(): string {
    return must('for d in /proc/[0-9]*; do c=$(tr "\\0" " " < $d/cmdline 2>/dev/null) || continue; ' +
      'case $c in "nginx: "*) echo "${d#/proc/} $c";; esac; done | sort -n');
  }
  /** The answers that show how the gateway routes: a cookie GET, a bearer GET, a form POST carrying a token,
   * and a GET with none of them (the default region). */
  async function routing(): Promise<string[]> {
    return [
      await answer(identityPort, '/oauth/authorize', { cookie: 'zone=us' }),
      await answer(apiPort, '/accounts', { authorization: 'Bearer ' + usToken }),
      await answer(identityPort, '/oauth/token', {}, 'grant_type=refresh_token&refresh_token=' + usToken + '&client_id=web'),
      await answer(identityPort, '/oauth/authorize'),
    ];
  }
  async function until(expected: string[]): Promise<void> {
    const deadline = Date.now() + 10000;
    let got: string[] = [];
    while (Date.now() < deadline) {
      got = await routing();
      if (JSON.stringify(got) === JSON.stringify(expected)) return;
      await new Promise(function (r) { setTimeout(r, 100); });
    }
    throw new Error(release + ': gateway answers ' + JSON.stringify(got) + ', expected ' + JSON.stringify(expected) + '\n' + sh('tail -20 /var/log/nginx/error.log').output);
  }
  function step(text: string): void {
    console.log('deb [' + release + '] ' + text + ' (' + ((Date.now() - started) / 1000).toFixed(1) + ' s)');
  }

  beforeAll(async function () {
    identityPort = await freePort();
    apiPort = await freePort();
    wiring = readmeWiring(upstreamPort, identityPort, apiPort);
    const { tag } = ensureImage(release, { log: console.log });
    const run = runInImage(tag, ['sleep', 'infinity'], { name: container, mounts: [out] });
    docker = spawn(run.cmd, run.args, { stdio: 'ignore' });
    const deadline = Date.now() + 20000;
    while (sh('true').status !== 0) {
      if (Date.now() > deadline) throw new Error('container ' + container + ' did not start');
      await new Promise(function (r) { setTimeout(r, 100); });
    }
    // The gateway as Debian ships it, running before anything is installed.
    must('nginx');
    versions = must("dpkg-query -W -f='${Package} ${Version}\\n' nginx libnginx-mod-http-js").trim().replace(/\n/g, ', ');
  }, 240000);

  afterAll(function () {
    spawnSync('docker', ['rm', '-f', container], { stdio: 'ignore', timeout: 30000 });
    if (docker) docker.kill();
  });

  it('installs offline with apt: the files where the README\'s wiring includes them, the table a conffile, nginx not reloaded', function () {
    const before = nginxProcesses();
    const r = apt('install -y ' + deb);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('njs-region-router: installed ' + VERSION + ': /etc/nginx/njs/region-router.js and the snippets in /etc/nginx/region-router/\n');
    expect(r.output).toContain('njs-region-router: the region table ' + TABLE + ' is an example: edit it');
    expect(r.output).toContain('njs-region-router: nginx\'s configuration does not use the router yet, and nginx was not reloaded. Next:');
    expect(r.output).not.toMatch(/njs-region-router: warning|error/i);
    expect(must("dpkg-query -W -f='${Status} ${Version}' njs-region-router")).toBe('install ok installed ' + VERSION);
    expect(must("dpkg-query -W -f='${Conffiles}' njs-region-router")).toMatch(new RegExp('^\\s*' + TABLE + ' [0-9a-f]{32}\\s*$'));
    // js_path /etc/nginx/njs/ and include region-router/<snippet>.conf reach the package's files
    expect(must('readlink -f /etc/nginx/njs/region-router.js /etc/nginx/njs/region-router-metrics.js /etc/nginx/region-router/http.conf /etc/nginx/region-router/gateway.conf'))
      .toBe(['njs/region-router.js', 'njs/region-router-metrics.js', 'snippets/http.conf', 'snippets/gateway.conf'].map(function (p) { return '/usr/share/njs-region-router/' + p + '\n'; }).join(''));
    expect(must('cat /etc/nginx/njs/region-router.js')).toBe(readFileSync(join(ROOT, 'dist', 'region-router.js'), 'utf8'));
    expect(must('test -f ' + TABLE + ' && ! test -L ' + TABLE + ' && cat ' + TABLE)).toBe(readFileSync(join(ROOT, 'nginx', 'regions.conf'), 'utf8'));
    expect(must('command -v njs-region-router-check').trim()).toBe('/usr/sbin/njs-region-router-check');
    expect(nginxProcesses()).toBe(before);
    step('installed ' + VERSION + ' with apt (' + versions + '), nginx not reloaded');
  });

  it('routes a cookie GET, a bearer GET and a form POST with the README\'s wiring, once njs-region-router-check passes', async function () {
    must('cat > /etc/nginx/conf.d/region-router.conf', wiring);
    const check = sh('njs-region-router-check');
    expect(check.status, check.output).toBe(0);
    expect(check.stdout).toContain('check: regions eu, us (' + TABLE + '); each has an upstream in $identity_upstream, $api_upstream; default region eu');
    expect(check.stdout).toContain('check: nginx -t passed');
    must('nginx -s reload');
    await until(['us/identity', 'us/api', 'us/identity', 'eu/identity']);
    step('wired as the README says: cookie GET, bearer GET, form POST routed to us, no token to the default eu');
  });

  it('upgrades to a newer build: keeps the edited regions.conf without asking, checks, says to reload, and does not', async function () {
    must("sed -i 's/^js_var \\$region_router_default_region eu;/js_var $region_router_default_region us;/' " + TABLE);
    const edited = must('cat ' + TABLE);
    expect(edited).toContain('js_var $region_router_default_region us;');
    const before = nginxProcesses();

    const r = apt('install -y ' + nextDeb);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('njs-region-router: upgraded from ' + VERSION + ' to ' + NEXT + ': /etc/nginx/njs/region-router.js and the snippets in /etc/nginx/region-router/\n');
    expect(r.output).toContain('njs-region-router: kept your region table ' + TABLE + ' (' + NEXT + '\'s default: /usr/share/njs-region-router/snippets/regions.conf)\n');
    expect(r.output).toContain('njs-region-router: nginx\'s configuration uses the router: checking it (njs-region-router-check)\n');
    expect(r.output).toContain('region-router-check: check: regions eu, us (' + TABLE + '); each has an upstream in $identity_upstream, $api_upstream; default region us\n');
    expect(r.output).toContain('njs-region-router: the configuration passes. nginx was not reloaded: it runs ' + VERSION + ' until you reload it (systemctl reload nginx, or nginx -s reload)\n');
    expect(r.output).not.toMatch(/njs-region-router: warning|error/i);
    expect(must('cat ' + TABLE)).toBe(edited);
    expect(must('ls -A /etc/nginx/region-router | grep -c dpkg || true').trim()).toBe('0');
    expect(must('tail -1 /etc/nginx/region-router/http.conf')).toBe('# next build\n');
    expect(must("dpkg-query -W -f='${Version}' njs-region-router")).toBe(NEXT);
    // Not reloaded: the same workers, still routing a request without a token to the old default region
    expect(nginxProcesses()).toBe(before);
    expect(await routing()).toEqual(['us/identity', 'us/api', 'us/identity', 'eu/identity']);
    must('nginx -s reload');
    await until(['us/identity', 'us/api', 'us/identity', 'us/identity']);
    step('upgraded to ' + NEXT + ': edited regions.conf kept, told to reload, not reloaded; after the reload the edited default region us routes');
  });

  it('a failing check warns what to fix, does not fail the installation, and leaves nginx as it was', async function () {
    const good = must('cat ' + TABLE);
    const before = nginxProcesses();
    try {
      must("sed -i 's/^    us  us;/    us  us;\\n    ap  ap;/' " + TABLE);
      const r = sh('dpkg -i ' + nextDeb + ' </dev/null'); // the same build again: its postinst runs the check
      expect(r.status, r.output).toBe(0);
      expect(r.stderr).toContain('region-router-check: error: region "ap" of the region table (' + TABLE + ') has no upstream in map $region_router_region $identity_upstream (/etc/nginx/conf.d/region-router.conf)');
      expect(r.stderr).toContain('njs-region-router: warning: nginx\'s configuration fails the checks above. nginx was not reloaded and keeps running with what\n' +
        'njs-region-router: warning: it loaded: do not reload or restart it yet. Fix what the check names, run njs-region-router-check\n');
      expect(r.output).not.toContain('the configuration passes');
      expect(must("dpkg-query -W -f='${Status}' njs-region-router")).toBe('install ok installed');
      expect(nginxProcesses()).toBe(before);
      expect(await routing()).toEqual(['us/identity', 'us/api', 'us/identity', 'us/identity']);
    } finally {
      must('cat > ' + TABLE, good);
    }
    step('a region without an upstream: the postinst warned (exit 0), nginx not reloaded, still routing');
  });

  it('removal while wired: warns, naming each include of what goes; snippets and bundle gone, table kept, nginx still serving', async function () {
    const before = nginxProcesses();
    const r = apt('remove -y njs-region-router');
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('njs-region-router: warning: nginx\'s configuration still uses files that go with this package:\n');
    // Every include of the wiring but the table's, one line each
    const includes = wiring.split('\n').map(function (l, i) { return { l, line: i + 1 }; })
      .filter(function (x) { return /^\s*include region-router\/(?!regions\.conf)/.test(x.l); });
    expect(includes.length).toBeGreaterThan(2);
    const listed = r.output.split('\n').filter(function (l) { return l.startsWith('    /'); });
    expect(listed).toEqual(includes.map(function (x) {
      return '    /etc/nginx/conf.d/region-router.conf:' + x.line + ' includes /etc/nginx/region-router/' + /region-router\/(\S+);/.exec(x.l)![1];
    }));
    expect(r.output).toContain('njs-region-router: warning: nginx keeps running with what it loaded, but without these files nginx -t fails: its next reload\n');
    expect(r.output).toContain('njs-region-router: the region table ' + TABLE + ' stays until the package is purged\n');
    expect(must("dpkg-query -W -f='${Status}' njs-region-router")).toBe('deinstall ok config-files');
    expect(must('find /etc/nginx/region-router /etc/nginx/njs /usr/share/njs-region-router /usr/sbin/njs-region-router-check 2>/dev/null; true'))
      .toBe('/etc/nginx/region-router\n' + TABLE + '\n');
    // What the warning says: nginx -t fails now; the running nginx was not touched and still serves
    const test = sh('nginx -t');
    expect(test.status).not.toBe(0);
    expect(test.stderr).toContain('/etc/nginx/region-router/http.conf');
    expect(nginxProcesses()).toBe(before);
    expect(await routing()).toEqual(['us/identity', 'us/api', 'us/identity', 'us/identity']);
    step('removed while wired: warned with ' + includes.length + ' includes, snippets gone, table kept, nginx still serving');
  });

  it('purge: removes the table; warns with nginx -t\'s message while the configuration still includes the snippets', async function () {
    const before = nginxProcesses();
    const r = apt('purge -y njs-region-router');
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('njs-region-router: warning: nginx -t fails without the package\'s files:\n');
    expect(r.output).toMatch(/\n {4}.*\[emerg\].* open\(\) "\/etc\/nginx\/region-router\/http\.conf" failed/);
    expect(r.output).toContain('njs-region-router: warning: nginx keeps running with what it loaded, but its next reload fails and a restart leaves it\n');
    expect(must('ls -A /etc/nginx')).not.toMatch(/region-router|njs/);
    expect(sh("dpkg-query -W -f='${Status}' njs-region-router").stdout).not.toContain('config-files');
    expect(nginxProcesses()).toBe(before);
    expect(await routing()).toEqual(['us/identity', 'us/api', 'us/identity', 'us/identity']);
    // Without the wiring, nginx loads again: purged clean
    must('rm /etc/nginx/conf.d/region-router.conf && nginx -t -q && nginx -s reload');
    await until(['refused', 'refused', 'refused', 'refused']);
    step('purged: regions.conf and /etc/nginx/region-router gone; warned with nginx -t\'s message while still wired');
  });

  it('takes over a tarball installation (install.sh): keeps its edited table without a prompt, sets its file list aside', function () {
    must('cd /tmp && tar xzf ' + tarball + ' && sh /tmp/njs-region-router-' + VERSION + '/install.sh >/dev/null');
    must("sed -i 's/^js_var \\$region_router_default_region eu;/js_var $region_router_default_region us;/' " + TABLE);
    const edited = must('cat ' + TABLE);
    const r = apt('install -y ' + deb);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('njs-region-router: taking over what the release tarball\'s install.sh installed (/etc/nginx/region-router/.installed lists it)\n');
    expect(r.output).toContain('njs-region-router: kept the region table that was here, ' + TABLE + ' (' + VERSION + '\'s default: /usr/share/njs-region-router/snippets/regions.conf)\n');
    expect(must('cat ' + TABLE)).toBe(edited);
    expect(must('ls -A /etc/nginx/region-router | grep -v "\\.conf$" || true')).toBe('');
    expect(must('readlink /etc/nginx/njs/region-router.js')).toBe('/usr/share/njs-region-router/njs/region-router.js\n');
    // dpkg knows the table as its conffile, edited
    expect(must("dpkg-query -W -f='${Conffiles}' njs-region-router")).toContain(TABLE);
    const purge = apt('purge -y njs-region-router');
    expect(purge.status, purge.output).toBe(0);
    expect(must('ls -A /etc/nginx')).not.toMatch(/region-router|njs/);
    step('took over an install.sh installation: its edited table kept, no conffile prompt; purged');
  });
});

beforeAll(async function () {
  out = mkdtempSync(join(tmpdir(), 'region-router-deb-test-'));
  const made = packageRelease({ out });
  deb = made.deb.path;
  tarball = made.path;
  nextDeb = join(out, 'njs-region-router_' + NEXT + '_all.deb');
  repackNext(deb, nextDeb);
  for (const [name, region, service] of [['idsvr_eu', 'eu', 'identity'], ['idsvr_us', 'us', 'identity'], ['api_eu', 'eu', 'api'], ['api_us', 'us', 'api']]) {
    const u = await startEchoUpstream({ region, service });
    upstreams.push(u);
    upstreamPort[name] = u.port;
  }
  usToken = await mintWrappedToken({ zone: 'us' }, { size: 1024 });
  engine = await ensureDockerEngine({ log: console.log });
}, 240000);

afterAll(async function () {
  for (const u of upstreams) await u.close();
  if (out) rmSync(out, { recursive: true, force: true });
  if (engine) await engine.stop();
  console.log('deb: ' + RELEASES.join(' and ') + ' in ' + ((Date.now() - started) / 1000).toFixed(1) + ' s');
});
