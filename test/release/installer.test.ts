// The release's install.sh against real nginx: Debian bookworm's nginx with its stock /etc/nginx (the runtime
// image of dev/runtimes.mjs), the README's wiring, the release tarball as `npm run package` writes it, and
// echo upstreams on the host. Each step builds on the one before, as on a real gateway: fresh install,
// upgrade, broken tables rolled back while the gateway keeps serving, --check, miswired servers refused,
// --reload with nginx stopped, another prefix, uninstall, purge. region-router-check runs on its own too, from
// /usr/local/bin without the release directory, as a Debian package would ship it.
import { spawn, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoUpstream } from '../../dev/echo-upstream.mjs';
import type { EchoUpstream } from '../../dev/echo-upstream.mjs';
import { ROOT } from '../../dev/paths.mjs';
import { freePort } from '../../dev/ports.mjs';
import { ensureImage, runInImage } from '../../dev/runtimes.mjs';
import { mintWrappedToken } from '../../dev/tokens.mjs';
import { ensureDockerEngine } from '../../dev/docker-engine.mjs';
import { packageRelease } from '../../packaging/package.mjs';
import { answer, inContainer, readmeWiring } from './release-gateway';
import type { Run } from './release-gateway';

const VERSION: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const RELEASE = '/tmp/njs-region-router-' + VERSION; // unpacked inside the container
const NEXT = '/tmp/next-release'; // the same release with a changed snippet and version: an upgrade
const CONTAINER = 'njs-region-router-install-test-' + process.pid;

let out = '';
let docker: ChildProcess | undefined;
let engine: { stop(): Promise<void> } | undefined;
const upstreams: EchoUpstream[] = [];
const upstreamPort: Record<string, number> = {};
let identityPort = 0;
let apiPort = 0;
let usToken = '';

const { sh, must } = inContainer(CONTAINER, 60000);

/** install.sh of a release directory in the container, run by dash. */
function install(args: string, release = RELEASE): Run {
  return sh('dash ' + release + '/install.sh ' + args);
}

/** sha256 of every file under the directories, to show that a step changed nothing. */
function fingerprint(dirs = '/etc/nginx'): string {
  return must('find ' + dirs + ' -type f | sort | xargs sha256sum');
}

/** The status of a form POST (what token requests and login forms send): 200 when an upstream answered, or 'refused'. */
function post(port: number, path: string, body: string): Promise<string> {
  return new Promise(function (resolve, reject) {
    const headers = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) };
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers, agent: false }, function (res) {
      res.resume();
      res.on('end', function () { resolve(String(res.statusCode)); });
    });
    req.on('error', function (e: NodeJS.ErrnoException) {
      if (e.code === 'ECONNREFUSED') resolve('refused'); // before the reload took effect: `until` asks again
      else reject(e);
    });
    req.end(body);
  });
}

/** The answers that show how a gateway routes: cookie, bearer token, no cookie (default region). */
async function routing(identity = identityPort, api = apiPort): Promise<string[]> {
  return [
    await answer(identity, '/oauth/authorize', { cookie: 'zone=us' }),
    await answer(api, '/accounts', { authorization: 'Bearer ' + usToken }),
    await answer(identity, '/oauth/authorize'),
  ];
}

/** Waits for a reload to take effect: nginx answers -s reload before its new workers serve. */
async function until(expected: string[], get: () => Promise<string[]>): Promise<void> {
  const deadline = Date.now() + 10000;
  let got: string[] = [];
  while (Date.now() < deadline) {
    got = await get();
    if (JSON.stringify(got) === JSON.stringify(expected)) return;
    await new Promise(function (r) { setTimeout(r, 100); });
  }
  throw new Error('gateway answers ' + JSON.stringify(got) + ', expected ' + JSON.stringify(expected) + '\n' + sh('tail -20 /var/log/nginx/error.log').output);
}

/** A file of conf.d that miswires the gateway during `body`; then removed, and nginx reloaded (whatever `body` loaded). */
async function withMiswired(conf: string, body: () => Promise<void>): Promise<void> {
  must('cat > /etc/nginx/conf.d/miswired.conf', conf);
  try {
    await body();
  } finally {
    must('rm -f /etc/nginx/conf.d/miswired.conf && nginx -s reload');
  }
  await until(['us/identity', 'us/api', 'us/identity'], routing);
}

/**
 * With a miswiring in place: region-router-check alone, install.sh --check, and an install of another version with
 * --reload all fail (exit 1) with `errors` on stderr; nothing under /etc/nginx changes, nginx is not reloaded (the
 * gateway answers as before, and the miswired server's port, never loaded, refuses).
 */
async function expectRefused(errors: string[], miswiredPort: number): Promise<void> {
  const before = await routing();
  const files = fingerprint();
  const alone = sh('cd / && region-router-check');
  const check = install('--check');
  const upgrade = install('--reload'); // 0.2.0 over 9.9.9: http.conf would change
  for (const r of [alone, check, upgrade]) {
    expect(r.status, r.output).toBe(1);
    for (const e of errors) expect(r.stderr).toContain('region-router-check: error: ' + e);
  }
  expect(upgrade.stderr).toContain('put the previous files back');
  expect(upgrade.output).not.toContain('reloaded nginx');
  expect(fingerprint()).toBe(files);
  expect(await routing()).toEqual(before);
  expect(await answer(miswiredPort, '/oauth/authorize')).toBe('refused');
}

beforeAll(async function () {
  out = mkdtempSync(join(tmpdir(), 'region-router-install-test-'));
  const made = packageRelease({ out }) as { path: string };
  for (const [name, region, service] of [['idsvr_eu', 'eu', 'identity'], ['idsvr_us', 'us', 'identity'], ['api_eu', 'eu', 'api'], ['api_us', 'us', 'api']]) {
    const u = await startEchoUpstream({ region, service });
    upstreams.push(u);
    upstreamPort[name] = u.port;
  }
  identityPort = await freePort();
  apiPort = await freePort();
  usToken = await mintWrappedToken({ zone: 'us' }, { size: 1024 });

  engine = await ensureDockerEngine({ log: console.log });
  const { tag } = ensureImage('bookworm', { log: console.log });
  const run = runInImage(tag, ['sleep', 'infinity'], { name: CONTAINER, mounts: [out] });
  docker = spawn(run.cmd, run.args, { stdio: 'ignore' });
  const deadline = Date.now() + 20000;
  while (sh('true').status !== 0) {
    if (Date.now() > deadline) throw new Error('container ' + CONTAINER + ' did not start');
    await new Promise(function (r) { setTimeout(r, 100); });
  }
  // The gateway as Debian ships it, running before anything is installed; a pristine copy for another prefix.
  must('cp -a /etc/nginx /srv/gw && cd /tmp && tar xzf ' + made.path + ' && nginx');
  must('cp -a ' + RELEASE + ' ' + NEXT + ' && echo 9.9.9 > ' + NEXT + '/VERSION && echo "# next release" >> ' + NEXT + '/nginx/http.conf');
  // The check alone, as a command: no release directory next to it.
  must('cp ' + RELEASE + '/region-router-check /usr/local/bin/');
}, 180000);

afterAll(async function () {
  spawnSync('docker', ['rm', '-f', CONTAINER], { stdio: 'ignore', timeout: 30000 });
  if (docker) docker.kill();
  for (const u of upstreams) await u.close();
  if (out) rmSync(out, { recursive: true, force: true });
  if (engine) await engine.stop();
});

describe('install.sh against nginx with a stock Debian /etc/nginx', function () {
  it('is clean under shellcheck and runs with dash', function () {
    const check = spawnSync('shellcheck', ['-s', 'sh', join(ROOT, 'packaging', 'install.sh'), join(ROOT, 'packaging', 'region-router-check')], { encoding: 'utf8' });
    if (check.error) throw new Error('shellcheck is not installed (apt-get install shellcheck; scripts/setup.sh does)');
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
    expect(must('readlink -f /bin/sh').trim()).toBe('/usr/bin/dash');
  });

  it('installs fresh, then routes once the README wiring is in place', async function () {
    const r = install('');
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toContain('installed the example region table as /etc/nginx/region-router/regions.conf');
    expect(r.stdout).toContain('not in the configuration yet');
    expect(must('cat /etc/nginx/region-router/.installed').split('\n').filter(function (l) { return l.startsWith('/'); }).sort())
      .toEqual(['/etc/nginx/njs/region-router.js', '/etc/nginx/njs/region-router-metrics.js'].concat(['api-location', 'engine-qjs', 'gateway', 'http', 'identity-location', 'metrics', 'metrics-http', 'regions', 'server', 'unavailable']
        .map(function (n) { return '/etc/nginx/region-router/' + n + '.conf'; })).sort());
    expect(must('stat -c %a /etc/nginx/njs/region-router.js /etc/nginx/njs/region-router-metrics.js /etc/nginx/region-router/http.conf')).toBe('644\n644\n644\n');

    must('cat > /etc/nginx/conf.d/region-router.conf', readmeWiring(upstreamPort, identityPort, apiPort));
    const check = install('--check');
    expect(check.status, check.output).toBe(0);
    expect(check.stdout).toContain('check: regions eu, us (/etc/nginx/region-router/regions.conf); each has an upstream in $identity_upstream, $api_upstream; default region eu');
    // Debian's nginx.conf leaves PCRE JIT off; the README recommends it, the check says so until it is on
    expect(check.stdout).toContain('note: pcre_jit is off: pcre_jit on; in nginx\'s main context');
    must("sed -i '1i pcre_jit on;' /etc/nginx/nginx.conf");
    const jit = install('--check');
    expect(jit.status, jit.output).toBe(0);
    expect(jit.output).not.toContain('pcre_jit');
    must('nginx -s reload');
    await until(['us/identity', 'us/api', 'eu/identity'], routing);
  });

  it('upgrades: replaces the bundle and snippets, keeps the edited regions.conf and says so', async function () {
    must("sed -i 's/^js_var \\$region_router_default_region eu;/js_var $region_router_default_region us;/' /etc/nginx/region-router/regions.conf");
    const edited = must('cat /etc/nginx/region-router/regions.conf');
    expect(edited).toContain('js_var $region_router_default_region us;');

    const r = install('--reload', NEXT);
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toContain('upgrading njs-region-router ' + VERSION + ' to 9.9.9');
    expect(r.stdout).toContain('kept your /etc/nginx/region-router/regions.conf');
    expect(r.stdout).toContain('reloaded nginx');
    expect(must('cat /etc/nginx/region-router/regions.conf')).toBe(edited);
    expect(must('tail -1 /etc/nginx/region-router/http.conf')).toBe('# next release\n');
    expect(must('head -1 /etc/nginx/region-router/.installed')).toMatch(/^# njs-region-router 9\.9\.9:/);
    await until(['us/identity', 'us/api', 'us/identity'], routing);
  });

  it('shows why the region check exists: nginx -t passes a region with no upstream, whose users then get 500', async function () {
    const good = must('cat /etc/nginx/region-router/regions.conf');
    try {
      must("sed -i 's/^    us  us;/    us  us;\\n    ap  ap;/' /etc/nginx/region-router/regions.conf");
      must('nginx -t -q && nginx -s reload');
      await until(['500'], async function () { return [await answer(identityPort, '/oauth/authorize', { cookie: 'zone=ap' })]; });
      expect(must('tail -5 /var/log/nginx/error.log')).toContain('invalid URL prefix in "http://"');
    } finally {
      must('cat > /etc/nginx/region-router/regions.conf && nginx -s reload', good);
    }
    await until(['us/identity', 'us/api', 'us/identity'], routing);
  });

  it('rolls back a table with a region that has no upstream; the running gateway keeps its answers', async function () {
    const before = await routing();
    const files = fingerprint();
    must('sed "s/^    us  us;/    us  us;\\n    ap  ap;/" /etc/nginx/region-router/regions.conf > /tmp/ap-regions.conf');

    const r = install('--regions /tmp/ap-regions.conf --reload'); // 0.1.0 over 9.9.9: http.conf would change too
    expect(r.status, r.output).toBe(1);
    for (const map of ['$identity_upstream', '$api_upstream']) {
      expect(r.stderr).toContain('region "ap" of the region table (/etc/nginx/region-router/regions.conf) has no upstream in map $region_router_region ' + map + ' (/etc/nginx/conf.d/region-router.conf)');
    }
    expect(r.stderr).toContain('put the previous files back');
    expect(r.output).not.toContain('reloaded nginx');
    expect(fingerprint()).toBe(files);
    expect(await routing()).toEqual(before);
  });

  it('rolls back a table with a syntax error, with nginx\'s message; the gateway keeps its answers', async function () {
    const before = await routing();
    const files = fingerprint();
    must("sed 's/^    us  us;/    us  us/' /etc/nginx/region-router/regions.conf > /tmp/syntax-regions.conf");

    const r = install('--regions /tmp/syntax-regions.conf --reload');
    expect(r.status, r.output).toBe(1);
    expect(r.stderr).toContain('nginx -t failed');
    expect(r.stderr).toMatch(/\[emerg\].*\/etc\/nginx\/region-router\/regions\.conf:\d+/);
    expect(fingerprint()).toBe(files);
    expect(await routing()).toEqual(before);
  });

  it('--check alone changes nothing, and fails on a default region that is not in the table', function () {
    const files = fingerprint();
    const ok = install('--check');
    expect(ok.status, ok.output).toBe(0);
    expect(ok.stdout).toContain('check: nginx -t passed');
    expect(fingerprint()).toBe(files);

    const good = must('cat /etc/nginx/region-router/regions.conf');
    try {
      must("sed -i 's/^js_var \\$region_router_default_region us;/js_var $region_router_default_region ap;/' /etc/nginx/region-router/regions.conf");
      const changed = fingerprint();
      const bad = install('--check');
      expect(bad.status, bad.output).toBe(1);
      expect(bad.stderr).toContain('the default region "ap" ($region_router_default_region in /etc/nginx/region-router/regions.conf) is not in the region table');
      expect(fingerprint()).toBe(changed);
    } finally {
      must('cat > /etc/nginx/region-router/regions.conf', good);
    }
  });

  it('a: refuses an identity server without gateway.conf, whose form POSTs would answer 500', async function () {
    const port = await freePort();
    const conf = 'server {\n' +
      '    listen 127.0.0.1:' + port + ';\n' +
      '    server_name login2.example.com;\n' +
      '    location / {\n' +
      '        include region-router/identity-location.conf;\n' +
      '        proxy_pass http://$identity_upstream;\n' +
      '    }\n' +
      '    location @region_router_proxy {\n' +
      '        proxy_pass http://$identity_upstream;\n' +
      '    }\n' +
      '}\n';
    await withMiswired(conf, async function () {
      await expectRefused(['server login2.example.com (/etc/nginx/conf.d/miswired.conf:1) includes identity-location.conf but not gateway.conf: ' +
        'it has no location @region_router_body, so every form POST (token requests, login forms) answers 500, and every request goes through njs, ' +
        'about twice the cost. Add include region-router/gateway.conf; to that server {}'], port);
      // What the check prevents: nginx -t passes, and the form POST fails
      must('nginx -t -q && nginx -s reload');
      await until(['500'], async function () { return [await post(port, '/oauth/token', 'grant_type=authorization_code&code=abc')]; });
      expect(must('tail -5 /var/log/nginx/error.log')).toContain('could not find named location "@region_router_body"');
    });
  });

  it('a: refuses an API server without gateway.conf, and a server proxying through an upstream map without it', async function () {
    const port = await freePort();
    const other = await freePort();
    // The first proxies through a variable of its own, which the check does not follow: its include names it
    const conf = 'server {\n' +
      '    listen 127.0.0.1:' + port + ';\n' +
      '    server_name api2.example.com;\n' +
      '    location / {\n' +
      '        include region-router/api-location.conf;\n' +
      '        set $backend $api_upstream;\n' +
      '        proxy_pass http://$backend;\n' +
      '    }\n' +
      '}\n' +
      'server {\n' +
      '    listen 127.0.0.1:' + other + ';\n' +
      '    location /accounts {\n' +
      '        proxy_pass http://$api_upstream/accounts;\n' +
      '    }\n' +
      '}\n';
    await withMiswired(conf, async function () {
      await expectRefused([
        'server api2.example.com (/etc/nginx/conf.d/miswired.conf:1) includes api-location.conf but not gateway.conf: every request then goes through njs, about twice the cost',
        'server 127.0.0.1:' + other + ' (/etc/nginx/conf.d/miswired.conf:10) proxies through $api_upstream (routed by $region_router_region) but not gateway.conf: every request then goes through njs, about twice the cost',
      ], port);
      expect(await answer(other, '/accounts')).toBe('refused');
    });
  });

  it('b: refuses an identity server without the location form POSTs continue at, whose form POSTs would answer 500', async function () {
    const port = await freePort();
    const other = await freePort();
    const conf = 'server {\n' +
      '    listen 127.0.0.1:' + port + ';\n' +
      '    server_name login2.example.com;\n' +
      '    include region-router/gateway.conf;\n' +
      '    location / {\n' +
      '        include region-router/identity-location.conf;\n' +
      '        proxy_pass http://$identity_upstream;\n' +
      '    }\n' +
      '}\n' +
      'server {\n' +
      '    listen 127.0.0.1:' + other + ';\n' +
      '    server_name login3.example.com;\n' +
      '    set $region_router_continue_at @login_continue;\n' +
      '    include region-router/gateway.conf;\n' +
      '    location / {\n' +
      '        include region-router/identity-location.conf;\n' +
      '        proxy_pass http://$identity_upstream;\n' +
      '    }\n' +
      '    location @region_router_proxy {\n' +
      '        proxy_pass http://$identity_upstream;\n' +
      '    }\n' +
      '}\n';
    await withMiswired(conf, async function () {
      await expectRefused([
        'server login2.example.com (/etc/nginx/conf.d/miswired.conf:1) includes identity-location.conf but has no location @region_router_proxy, where form POSTs ' +
          'continue once njs has read their body: every form POST (token requests, login forms) answers 500. Add location @region_router_proxy ' +
          '{ proxy_pass http://$identity_upstream; } to that server {}',
        'server login3.example.com (/etc/nginx/conf.d/miswired.conf:10) includes identity-location.conf but has no location @login_continue ' +
          '($region_router_continue_at, set in /etc/nginx/conf.d/miswired.conf:13), where form POSTs continue',
      ], port);
      must('nginx -t -q && nginx -s reload');
      await until(['500'], async function () { return [await post(port, '/oauth/token', 'grant_type=authorization_code&code=abc')]; });
      expect(must('tail -5 /var/log/nginx/error.log')).toContain('could not find named location "@region_router_proxy"');
    });
  });

  it('c: refuses the metrics includes on bookworm\'s njs 0.7.9, naming the file that includes metrics-http.conf; and metrics.conf alone', async function () {
    const port = await freePort();
    const server = 'server {\n' +
      '    listen 127.0.0.1:' + port + ';\n' +
      '    server_name metrics.internal;\n' +
      '    include region-router/metrics.conf;\n' +
      '}\n';
    await withMiswired('include region-router/metrics-http.conf;\n' + server, async function () {
      await expectRefused(['nginx -t failed:', '/etc/nginx/conf.d/miswired.conf:1 includes metrics-http.conf: metrics need njs 0.8.0 or newer (0.8.8 under QuickJS), ' +
        'and this nginx\'s njs has no js_shared_dict_zone, so remove the metrics includes on this nginx (metrics-http.conf there, metrics.conf in server ' +
        'metrics.internal (/etc/nginx/conf.d/miswired.conf:2))'], port);
      expect(sh('region-router-check').stderr).toContain('unknown directive "js_shared_dict_zone" in /etc/nginx/region-router/metrics-http.conf');
    });
    // Without metrics-http.conf nginx -t passes, and /metrics answers 500 ("js function ... not found")
    await withMiswired(server, async function () {
      await expectRefused(['server metrics.internal (/etc/nginx/conf.d/miswired.conf:1) includes metrics.conf, but http {} does not include metrics-http.conf: ' +
        '/metrics answers 500 (js function "region_router_metrics.serve" not found)'], port);
    });
  });

  it('notes each include of the now empty server.conf and unavailable.conf, and passes a continue-at location of another name', async function () {
    const port = await freePort();
    const conf = 'server {\n' +
      '    listen 127.0.0.1:' + port + ';\n' +
      '    server_name login2.example.com;\n' +
      '    set $region_router_continue_at @login_continue;\n' +
      '    include region-router/gateway.conf;\n' +
      '    include region-router/server.conf;\n' +
      '    location / {\n' +
      '        include region-router/identity-location.conf;\n' +
      '        proxy_pass http://$identity_upstream;\n' +
      '    }\n' +
      '    location @login_continue {\n' +
      '        proxy_pass http://$identity_upstream;\n' +
      '    }\n' +
      '    include region-router/unavailable.conf;\n' +
      '}\n';
    await withMiswired(conf, async function () {
      for (const r of [sh('region-router-check'), install('--check')]) {
        expect(r.status, r.output).toBe(0);
        expect(r.stdout).toContain('region-router-check: note: /etc/nginx/conf.d/miswired.conf:6 includes server.conf, which is empty now: remove that include (gateway.conf has it all)');
        expect(r.stdout).toContain('region-router-check: note: /etc/nginx/conf.d/miswired.conf:14 includes unavailable.conf, which is empty now: remove that include (gateway.conf has it all)');
        expect(r.stdout).toContain('check: nginx -t passed');
        expect(r.stderr).toBe('');
      }
    });
  });

  it('--reload with nginx stopped: installs, says in one line that nginx is not running and how to start it, exits 0', async function () {
    must('nginx -s quit');
    await until(['refused', 'refused', 'refused'], routing);
    for (let i = 0; i < 50 && sh('test -e /run/nginx.pid').status === 0; i++) await new Promise(function (r) { setTimeout(r, 100); });
    try {
      const notRunning = 'install.sh: nginx is not running, so nothing was reloaded: start it (systemctl start nginx, or nginx) and it loads the checked configuration\n';
      const r = install('--reload'); // no pid file (nginx -t, run by the check, leaves an empty one)
      expect(r.status, r.output).toBe(0);
      expect(r.stdout).toMatch(new RegExp('^install\\.sh: upgrading njs-region-router \\S+ to ' + VERSION.split('.').join('\\.') + ' '));
      expect(r.stdout.endsWith(notRunning), r.stdout).toBe(true);
      expect(r.stderr).toBe('');
      // A pid file left behind by an nginx that died
      must('echo 999999 > /run/nginx.pid');
      const stale = install('--reload');
      expect(stale.status, stale.output).toBe(0);
      expect(stale.stdout.endsWith(notRunning), stale.stdout).toBe(true);
      expect(stale.stderr).toBe('');
    } finally {
      must('rm -f /run/nginx.pid && nginx');
    }
    await until(['us/identity', 'us/api', 'us/identity'], routing);
  });

  it('installs into another prefix with --nginx "nginx -c ...", reloads that nginx, and purges it', async function () {
    const identity = await freePort();
    const api = await freePort();
    // A second gateway: Debian's stock configuration copied to /srv/gw, its own pid file.
    // Debian's load_module lines are relative to nginx's prefix, so only -c changes.
    must("sed -i -e 's#/etc/nginx/#/srv/gw/#g' -e 's#^pid .*#pid /srv/gw/nginx.pid;#' /srv/gw/nginx.conf && nginx -c /srv/gw/nginx.conf");
    const gw = '--prefix /srv/gw --nginx "nginx -c /srv/gw/nginx.conf"';
    const fresh = install(gw);
    expect(fresh.status, fresh.output).toBe(0);
    expect(must('ls /srv/gw/njs /srv/gw/region-router')).toContain('region-router.js');

    must('cat > /srv/gw/conf.d/region-router.conf', readmeWiring(upstreamPort, identity, api, '/srv/gw'));
    const again = install(gw + ' --reload');
    expect(again.status, again.output).toBe(0);
    expect(again.stdout).toContain('check: regions eu, us (/srv/gw/region-router/regions.conf)');
    await until(['us/identity', 'us/api', 'eu/identity'], function () { return routing(identity, api); });

    must('rm /srv/gw/conf.d/region-router.conf');
    const purge = install(gw + ' --uninstall --purge --reload');
    expect(purge.status, purge.output).toBe(0);
    expect(must('ls -A /srv/gw')).not.toMatch(/region-router|njs/);
    await until(['refused', 'refused', 'refused'], function () { return routing(identity, api); });
    must('nginx -c /srv/gw/nginx.conf -s quit');
  });

  it('uninstalls: refuses in one line while the configuration still includes the snippets, then removes all but regions.conf', async function () {
    const files = fingerprint();
    const refused = install('--uninstall');
    expect(refused.status, refused.output).toBe(1);
    // Decided from the walk of the configuration, before anything changed (no check of a changed configuration ran)
    expect(refused.stdout).toBe('');
    // The first place, and how many more: the wiring's includes of what would go (regions.conf stays), not the
    // import of region-router.js inside http.conf, which goes too
    const more = readmeWiring(upstreamPort, identityPort, apiPort).split('\n').filter(function (l) { return /^\s*include region-router\/(?!regions\.conf)/.test(l); }).length - 1;
    expect(refused.stderr).toMatch(new RegExp('^install\\.sh: not uninstalled, nothing changed: /etc/nginx/conf\\.d/region-router\\.conf:\\d+ still includes ' +
      '/etc/nginx/region-router/\\S+\\.conf \\(and ' + more + ' more\\); remove the region-router includes, js_path and upstream maps from your configuration first\n$'));
    expect(fingerprint()).toBe(files);
    expect((await routing())[0]).toBe('us/identity');

    must('rm /etc/nginx/conf.d/region-router.conf');
    const r = install('--uninstall --reload');
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toContain('kept your /etc/nginx/region-router/regions.conf');
    expect(must('find /etc/nginx/njs /etc/nginx/region-router 2>/dev/null; true')).toBe('/etc/nginx/region-router\n/etc/nginx/region-router/regions.conf\n');
    must('nginx -t -q');
    await until(['refused', 'refused', 'refused'], routing);
  });

  it('purges after a plain uninstall: removes the regions.conf it kept and region-router/; refuses in one line while it is included', function () {
    const plain = install('--uninstall');
    expect(plain.status, plain.output).toBe(1);
    expect(plain.stderr).toBe('install.sh: nothing to uninstall: no /etc/nginx/region-router/.installed (--uninstall --purge removes the /etc/nginx/region-router/regions.conf left behind)\n');

    must('echo "include region-router/regions.conf;" > /etc/nginx/conf.d/table.conf');
    const files = fingerprint();
    const refused = install('--uninstall --purge');
    expect(refused.status, refused.output).toBe(1);
    expect(refused.stderr).toBe('install.sh: not uninstalled, nothing changed: /etc/nginx/conf.d/table.conf:1 still includes /etc/nginx/region-router/regions.conf; ' +
      'remove the region-router includes, js_path and upstream maps from your configuration first\n');
    expect(fingerprint()).toBe(files);

    must('rm /etc/nginx/conf.d/table.conf');
    const purge = install('--uninstall --purge');
    expect(purge.status, purge.output).toBe(0);
    expect(purge.stdout).toContain('removed /etc/nginx/region-router/regions.conf, left behind by an earlier --uninstall');
    expect(must('ls -A /etc/nginx')).not.toMatch(/region-router|njs/);
    must('nginx -t -q');
  });
});
