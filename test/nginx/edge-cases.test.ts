// Requests at the edges of the documented rules, through real nginx with the built bundle and the shipped
// example: each expectation below is written from README.md's tables, not from the code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoUpstream } from '../../dev/echo-upstream.mjs';
import type { Echo, EchoUpstream } from '../../dev/echo-upstream.mjs';
import { EXAMPLE_PORTS, renderExample } from '../../dev/example.mjs';
import { startNginx } from '../../dev/nginx.mjs';
import type { RunningNginx } from '../../dev/nginx.mjs';
import { freePort } from '../../dev/ports.mjs';
import { mintWrappedToken } from '../../dev/tokens.mjs';
import { deliveryDifference, parseRequest } from '../../dev/delivery.mjs';
import { exchange, serialise } from '../hostile/wire';

interface Gateway {
  nginx: RunningNginx;
  identity: string;
  api: string;
  upstreams: EchoUpstream[];
}

/** The example with echo upstreams; `edit` changes the rendered configuration (e.g. the region table). */
async function gateway(edit?: (conf: string) => string): Promise<Gateway> {
  const ports: Record<number, number> = {};
  const upstreams: EchoUpstream[] = [];
  for (const [key, port] of Object.entries(EXAMPLE_PORTS.upstreams)) {
    const [region, service] = key.split('/');
    const u = await startEchoUpstream({ region, service });
    upstreams.push(u);
    ports[port] = u.port;
  }
  ports[EXAMPLE_PORTS.identity] = await freePort();
  ports[EXAMPLE_PORTS.api] = await freePort();
  const nginx = await startNginx(renderExample({ ports, errorLog: 'info', edit }), {
    listen: [
      { host: '127.0.0.1', port: ports[EXAMPLE_PORTS.identity] },
      { host: '127.0.0.1', port: ports[EXAMPLE_PORTS.api] },
    ],
  });
  return {
    nginx,
    upstreams,
    identity: 'http://127.0.0.1:' + ports[EXAMPLE_PORTS.identity],
    api: 'http://127.0.0.1:' + ports[EXAMPLE_PORTS.api],
  };
}

async function stop(g: Gateway | undefined): Promise<void> {
  if (!g) return;
  await g.nginx.stop();
  for (const u of g.upstreams) await u.close();
}

/**
 * The upstream that answered ('' when nginx answered itself), and the region and source nginx logged for the
 * request just made. A request that reaches an upstream must arrive intact (dev/delivery.mjs).
 */
async function routed(
  g: Gateway,
  url: string,
  init: { headers?: Record<string, string> } = {},
): Promise<{ status: number; upstream: string; logged: string }> {
  const before = g.nginx.accessLog().length;
  const u = new URL(url);
  const bytes = serialise(
    { method: 'GET', target: u.pathname + u.search, headers: Object.entries(init.headers || {}) },
    u.host,
  );
  const res = await exchange(Number(u.port), bytes);
  let upstream = '';
  if (res.headers['x-upstream']) {
    const echo = JSON.parse(res.body.toString('utf8')) as Echo;
    expect(deliveryDifference(parseRequest(bytes), echo), 'delivered intact').toBeUndefined();
    upstream = echo.region;
  }
  const deadline = Date.now() + 2000;
  while (g.nginx.accessLog().length === before && Date.now() < deadline)
    await new Promise(function (r) {
      setTimeout(r, 10);
    });
  const m = / region=(\S*) source=(\S*)/.exec(g.nginx.accessLog().slice(before));
  return { status: res.status, upstream, logged: m ? m[1] + '/' + m[2] : '' };
}

describe('edges of the routing rules', function () {
  let g: Gateway;
  beforeAll(async function () {
    g = await gateway();
  });
  afterAll(async function () {
    await stop(g);
  });

  it('takes the bearer scheme in any letter case', async function () {
    const token = await mintWrappedToken({ zone: 'us' });
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      expect(await routed(g, g.api + '/accounts/me', { headers: { authorization: scheme + ' ' + token } })).toEqual({
        status: 200,
        upstream: 'us',
        logged: 'us/bearer',
      });
    }
  });

  it('routes by an id_token_hint that is percent-encoded in the query', async function () {
    const hint = await mintWrappedToken({ zone: 'us' });
    const encoded = hint.replace(/\./g, '%2E').replace(/-/g, '%2D');
    expect(await routed(g, g.identity + '/logout?id_token_hint=' + encoded)).toEqual({
      status: 200,
      upstream: 'us',
      logged: 'us/id_token_hint',
    });
  });

  it('does not take a zone cookie whose value holds "=" for a region', async function () {
    expect(await routed(g, g.identity + '/login', { headers: { cookie: 'zone=us=1' } })).toEqual({
      status: 200,
      upstream: 'eu',
      logged: 'eu/default',
    });
    expect(await routed(g, g.identity + '/login', { headers: { cookie: 'other=a=b; zone=us' } })).toEqual({
      status: 200,
      upstream: 'us',
      logged: 'us/cookie',
    });
  });

  it('lets a token win over a cookie that holds "="', async function () {
    const token = await mintWrappedToken({ zone: 'us' });
    expect(
      await routed(g, g.api + '/x', { headers: { authorization: 'Bearer ' + token, cookie: 'zone=eu=x' } }),
    ).toEqual({ status: 200, upstream: 'us', logged: 'us/bearer' });
  });

  it('routes a bearer token with several spaces after the scheme and trailing spaces', async function () {
    const token = await mintWrappedToken({ zone: 'us' });
    expect(await routed(g, g.api + '/x', { headers: { authorization: 'Bearer    ' + token + '  ' } })).toEqual({
      status: 200,
      upstream: 'us',
      logged: 'us/bearer',
    });
  });
});

describe('a default region that is missing from the region table', function () {
  let g: Gateway;
  beforeAll(async function () {
    g = await gateway(function (conf) {
      // the table (regions.conf) lists eu and us; both servers override the default region
      return conf.replace(
        /set \$region_router_gateway (\w+);/g,
        'set $region_router_gateway $1; set $region_router_default_region ap;',
      );
    });
  });
  afterAll(async function () {
    await stop(g);
  });

  it('fails closed with 500 and an error line naming the variable for a request that falls back to it', async function () {
    const token = await mintWrappedToken({ zone: 'mars' });
    const got = await routed(g, g.api + '/x', { headers: { authorization: 'Bearer ' + token } });
    expect(got.status).toBe(500);
    expect(got.upstream).toBe('');
    expect(g.nginx.errorLog()).toMatch(
      /\[error\].*region_router: \$region_router_default_region "ap" is not in the region table/,
    );
    for (const u of g.upstreams)
      expect(
        u.seen.filter(function (s) {
          return s.url === '/x';
        }),
      ).toEqual([]);
  });

  it('still routes the requests that name a region', async function () {
    const token = await mintWrappedToken({ zone: 'us' });
    expect(await routed(g, g.api + '/y', { headers: { authorization: 'Bearer ' + token } })).toEqual({
      status: 200,
      upstream: 'us',
      logged: 'us/bearer',
    });
    expect(await routed(g, g.identity + '/z', { headers: { cookie: 'zone=eu' } })).toEqual({
      status: 200,
      upstream: 'eu',
      logged: 'eu/cookie',
    });
  });
});
