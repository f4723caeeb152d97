// The built bundle inside a real nginx, configured with the shipped example: a cookie GET, a token POST
// and a bearer GET each reach the home region's upstream, and every request arrives as it was sent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerValues } from '../../dev/echo-upstream.mjs';
import type { Echo } from '../../dev/echo-upstream.mjs';
import { brokenLines } from '../../dev/logs.mjs';
import type { RunningNginx } from '../../dev/nginx.mjs';
import { startExampleGateway } from './example-gateway';
import type { ExampleGateway } from './example-gateway';
import { Request, Sent, sendIntact } from './send';
import { mintWrappedToken } from '../../dev/tokens.mjs';

let gateway: ExampleGateway;
let nginx: RunningNginx;
let identity = '';
let api = '';
let startLog: string[] = [];

beforeAll(async function () {
  gateway = await startExampleGateway();
  ({ nginx, identity, api } = gateway);
  startLog = nginx.startupLines().concat(nginx.errorLog().split('\n'));
});

afterAll(async function () {
  if (gateway) await gateway.stop();
});

function send(url: string, init: Request = {}): Promise<Sent> {
  return sendIntact(url, init, function () {
    return nginx.errorLog();
  });
}

/** The access log's lines since `from` (a length), once it holds at least `count` of them. */
async function accessLines(from: number, count: number): Promise<string> {
  const deadline = Date.now() + 2000;
  while (nginx.accessLog().slice(from).split('\n').length <= count && Date.now() < deadline)
    await new Promise(function (r) {
      setTimeout(r, 10);
    });
  return nginx.accessLog().slice(from);
}

function header(echo: Echo, name: string): string | undefined {
  return headerValues(echo.rawHeaders, name)[0];
}

describe('routing through real nginx with the built bundle', function () {
  it('starts the example gateway without a warning', function () {
    // e.g. nginx's variables hash outgrown by variables the snippets declare, logged at every start
    expect(brokenLines(startLog.join('\n'), 'warn')).toEqual([]);
  });

  it('routes a browser GET by the zone cookie, in C', async function () {
    const { echo } = await send(identity + '/oauth/authorize?client_id=web&state=s', {
      headers: { cookie: 'zone=us; other=1' },
    });
    expect(echo.region + '/' + echo.service).toBe('us/identity');
    expect(echo.url).toBe('/oauth/authorize?client_id=web&state=s');
    expect(header(echo, 'cookie')).toBe('zone=us; other=1');
  });

  it('routes a token POST by the wrapped code in its body, and the body arrives intact', async function () {
    const code = await mintWrappedToken({ zone: 'us' });
    const body =
      'grant_type=authorization_code&code=' + code + '&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&client_id=web';
    const { echo } = await send(identity + '/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: 'zone=eu' },
      body,
    });
    expect(echo.region + '/' + echo.service).toBe('us/identity');
    expect(echo.method).toBe('POST');
    expect(echo.url).toBe('/oauth/token');
    expect(Buffer.from(echo.bodyBase64, 'base64').toString()).toBe(body);
    // the cookie disagreed with the token: one warn line, without token or cookie content
    const log = nginx.errorLog();
    expect(log).toMatch(/\[warn\].*region_router: cookie region eu differs from code region us; routed by code/);
    expect(log).not.toContain(code.slice(0, 40));
  });

  it('routes an API GET by the bearer access token', async function () {
    const token = await mintWrappedToken({ zone: 'us' });
    const { echo } = await send(api + '/accounts/me', { headers: { authorization: 'Bearer ' + token } });
    expect(echo.region + '/' + echo.service).toBe('us/api');
    expect(header(echo, 'authorization')).toBe('Bearer ' + token);
  });

  it('routes by the token where the cookie names the same region, with nothing to log', async function () {
    const token = await mintWrappedToken({ zone: 'us' });
    const before = { access: nginx.accessLog().length, error: nginx.errorLog().length };
    const bearer = await send(api + '/agreeing/bearer', {
      headers: { authorization: 'Bearer ' + token, cookie: 'zone=us' },
    });
    expect(bearer.echo.region + '/' + bearer.echo.service).toBe('us/api');
    const post = await send(identity + '/agreeing/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: 'zone=us' },
      body: 'grant_type=refresh_token&refresh_token=' + token + '&client_id=web',
    });
    expect(post.echo.region + '/' + post.echo.service).toBe('us/identity');
    const deadline = Date.now() + 2000;
    while (nginx.accessLog().slice(before.access).split('\n').length < 3 && Date.now() < deadline)
      await new Promise(function (r) {
        setTimeout(r, 10);
      });
    const log = nginx.accessLog().slice(before.access);
    expect(log).toMatch(/"GET \/agreeing\/bearer HTTP\/1.1" 200 \d+ region=us source=bearer .* disagreement= /);
    expect(log).toMatch(/"POST \/agreeing\/token HTTP\/1.1" 200 \d+ region=us source=refresh_token .* disagreement= /);
    expect(nginx.errorLog().slice(before.error)).not.toMatch(/region_router: /);
  });

  it('takes the default route when a token and the region cookie name the same region that is not in the table', async function () {
    const token = await mintWrappedToken({ zone: 'ap' });
    const before = nginx.accessLog().length;
    const bearer = await send(api + '/unknown/bearer', {
      headers: { authorization: 'Bearer ' + token, cookie: 'zone=ap' },
    });
    expect(bearer.echo.region + '/' + bearer.echo.service).toBe('eu/api');
    const post = await send(identity + '/unknown/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: 'zone=ap' },
      body: 'grant_type=authorization_code&code=' + token + '&client_id=web',
    });
    expect(post.echo.region + '/' + post.echo.service).toBe('eu/identity');
    const log = await accessLines(before, 2);
    expect(log).toMatch(/"GET \/unknown\/bearer HTTP\/1.1" 200 \d+ region=eu source=default /);
    expect(log).toMatch(/"POST \/unknown\/token HTTP\/1.1" 200 \d+ region=eu source=default /);
  });

  it('logs a region cookie that names no region at info, also where the token routes on its own', async function () {
    const token = await mintWrappedToken({ zone: 'us' });
    const before = nginx.errorLog().length;
    const bearer = await send(api + '/stale/bearer', {
      headers: { authorization: 'Bearer ' + token, cookie: 'zone=xx' },
    });
    expect(bearer.echo.region + '/' + bearer.echo.service).toBe('us/api');
    const post = await send(identity + '/stale/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: 'zone=xx' },
      body: 'grant_type=refresh_token&refresh_token=' + token + '&client_id=web',
    });
    expect(post.echo.region + '/' + post.echo.service).toBe('us/identity');
    const lines = nginx
      .errorLog()
      .slice(before)
      .split('\n')
      .filter(function (l) {
        return /\[info\].*region_router: region cookie names no configured region; not used/.test(l);
      });
    expect(lines.length).toBe(2);
  });

  it('takes the default route with no region information, and with an unknown one', async function () {
    expect((await send(identity + '/login')).echo.region).toBe('eu');
    expect((await send(identity + '/login', { headers: { cookie: 'zone=evil.example' } })).echo.region).toBe('eu');
    const token = await mintWrappedToken({ zone: '127.0.0.1:22' });
    expect((await send(api + '/x', { headers: { authorization: 'Bearer ' + token } })).echo.region).toBe('eu');
  });

  it('routes a form body too large to read in memory by cookie, with a warn line, and proxies it whole', async function () {
    const code = await mintWrappedToken({ zone: 'eu' });
    const body = 'grant_type=authorization_code&code=' + code + '&pad=' + 'p'.repeat(100 * 1024);
    const { echo } = await send(identity + '/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: 'zone=us' },
      body,
    });
    expect(echo.region).toBe('us');
    expect(Buffer.from(echo.bodyBase64, 'base64').toString()).toBe(body);
    expect(nginx.errorLog()).toMatch(/\[warn\].*region_router: request body is buffered to a file/);
  });

  it('never reads the body of OPTIONS or HEAD', async function () {
    const code = await mintWrappedToken({ zone: 'us' });
    const options = await send(identity + '/oauth/token', {
      method: 'OPTIONS',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://app.example' },
      body: 'grant_type=authorization_code&code=' + code,
    });
    expect(options.echo).toMatchObject({ region: 'eu', method: 'OPTIONS' });
    const head = await fetch(identity + '/oauth/token', { method: 'HEAD', headers: { cookie: 'zone=us' } });
    expect(head.headers.get('x-upstream')).toBe('us/identity');
    expect(nginx.accessLog()).toMatch(/"OPTIONS \/oauth\/token HTTP\/1.1" 200 \d+ region=eu source=default/);
  });

  it('records region and source in the access log and nothing crashed', async function () {
    const token = await mintWrappedToken({ zone: 'us' });
    const before = nginx.accessLog().length;
    await send(identity + '/logged/cookie', { headers: { cookie: 'zone=us' } });
    await send(identity + '/logged/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=authorization_code&code=' + token,
    });
    await send(api + '/logged/bearer', { headers: { authorization: 'Bearer ' + token } });
    const deadline = Date.now() + 2000;
    while (nginx.accessLog().slice(before).split('\n').length < 4 && Date.now() < deadline)
      await new Promise(function (r) {
        setTimeout(r, 10);
      });
    const log = nginx.accessLog().slice(before);
    expect(log).toMatch(/"GET \/logged\/cookie HTTP\/1.1" 200 \d+ region=us source=cookie/);
    expect(log).toMatch(/"POST \/logged\/token HTTP\/1.1" 200 \d+ region=us source=code/);
    expect(log).toMatch(/"GET \/logged\/bearer HTTP\/1.1" 200 \d+ region=us source=bearer/);
    expect(brokenLines(nginx.errorLog())).toEqual([]);
  });
});
