// What the release tests (installer.test.ts, deb.test.ts) share about the gateway they build in a container: the
// README's wiring with the test's listeners and echo upstreams, the answer of a request to it, and a shell
// inside the container.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get, request } from 'node:http';
import { join } from 'node:path';
import { ROOT } from '../../dev/paths.mjs';

export interface Run { status: number | null; stdout: string; stderr: string; output: string }

/** The README's wiring block, with this test's listeners and upstreams (no TLS: plain HTTP on 127.0.0.1), and
 * its /etc/nginx/ paths under `configDir`. `upstreamPort`: the echo upstream's port of each upstream block. */
export function readmeWiring(upstreamPort: Record<string, number>, identity: number, api: number, configDir = '/etc/nginx'): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /```nginx\n(# \/etc\/nginx\/conf\.d\/region-router\.conf\n[\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('README.md no longer has the ```nginx block starting "# /etc/nginx/conf.d/region-router.conf"');
  let conf = m[1];
  const listens = conf.match(/listen 443 ssl;/g) || [];
  if (listens.length !== 2) throw new Error('README wiring: expected two `listen 443 ssl;` lines, found ' + listens.length);
  let n = 0;
  conf = conf.replace(/listen 443 ssl;/g, function () { return 'listen 127.0.0.1:' + (n++ === 0 ? identity : api) + ';'; });
  conf = conf.replace(/^\s*ssl_certificate(_key)? .*\n/gm, '');
  for (const name of ['idsvr_eu', 'idsvr_us', 'api_eu', 'api_us']) {
    const line = new RegExp('(upstream ' + name + '\\s*\\{\\s*server )\\S+;');
    if (!line.test(conf)) throw new Error('README wiring: no `upstream ' + name + ' { server ...; }`');
    conf = conf.replace(line, '$1127.0.0.1:' + upstreamPort[name] + ';');
  }
  return conf.split('/etc/nginx/').join(configDir + '/');
}

/** region/service of the echo upstream that answered, else the status, 'refused' or 'reset'. A GET, or with a
 * `body` a form POST. A new connection each time: a pooled one may have been closed by a reload. 'reset': during
 * a reload that closes the listener, a connection the old worker's socket had queued is reset as it exits; the
 * callers' `until` asks again. */
export function answer(port: number, path: string, headers: Record<string, string> = {}, body?: string): Promise<string> {
  return new Promise(function (resolve, reject) {
    const options = { host: '127.0.0.1', port, path, headers: { ...headers }, agent: false as const, method: body === undefined ? 'GET' : 'POST' };
    if (body !== undefined) {
      options.headers['content-type'] = 'application/x-www-form-urlencoded';
      options.headers['content-length'] = String(Buffer.byteLength(body));
    }
    const req = (body === undefined ? get : request)(options, function (res) {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', function (d) { text += d; });
      res.on('end', function () {
        if (res.statusCode !== 200) { resolve(String(res.statusCode)); return; }
        const echo = JSON.parse(text) as { region: string; service: string };
        resolve(echo.region + '/' + echo.service);
      });
    });
    req.on('error', function (e: NodeJS.ErrnoException) {
      if (e.code === 'ECONNREFUSED') resolve('refused');
      else if (e.code === 'ECONNRESET') resolve('reset');
      else reject(e);
    });
    req.end(body);
  });
}

/** Shell scripts inside a running container (dash, Debian's /bin/sh): `sh` runs one with `input` on its stdin
 * (none: an empty stdin), `must` also throws unless it exits 0 and returns its stdout. `where` names the
 * container in that error. */
export function inContainer(container: string, timeoutMs: number, where = 'the container'): { sh(script: string, input?: string): Run; must(script: string, input?: string): string } {
  function sh(script: string, input?: string): Run {
    const r = spawnSync('docker', ['exec', '-i', container, 'sh', '-c', script], { encoding: 'utf8', input: input ?? '', timeout: timeoutMs });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, output: r.stdout + r.stderr };
  }
  function must(script: string, input?: string): string {
    const r = sh(script, input);
    if (r.status !== 0) throw new Error('in ' + where + ': ' + script + '\nexit ' + r.status + '\n' + r.output);
    return r.stdout;
  }
  return { sh, must };
}
