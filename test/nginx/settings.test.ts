// Settings set to other values than their defaults, in a real nginx with the built bundle: the router reads
// the claim they name, measures tokens against their limit and logs a cookie that names another region, for
// bearer tokens and form POSTs alike.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningNginx } from '../../dev/nginx.mjs';
import { mintWrappedToken, mintWrappedTokenOfLength } from '../../dev/tokens.mjs';
import { startExampleGateway } from './example-gateway';
import type { ExampleGateway } from './example-gateway';
import { sendIntact } from './send';
import type { Request } from './send';

let gateway: ExampleGateway;
let nginx: RunningNginx;
let identity = '';
let api = '';

beforeAll(async function () {
  gateway = await startExampleGateway(
    'js_var $region_router_claim home; js_var $region_router_max_token_bytes 2048; ' +
      'js_var $region_router_continue_at @region_router_proxy;',
  );
  ({ nginx, identity, api } = gateway);
});

afterAll(async function () {
  if (gateway) await gateway.stop();
});

async function reached(url: string, init: Request = {}): Promise<string> {
  const { echo } = await sendIntact(url, init, function () {
    return nginx.errorLog();
  });
  return echo.region + '/' + echo.service;
}

function tokenPost(field: string, token: string, cookie?: string): Request {
  const grant = field === 'code' ? 'authorization_code' : 'refresh_token';
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (cookie) headers.cookie = cookie;
  return { method: 'POST', headers, body: 'grant_type=' + grant + '&' + field + '=' + token + '&client_id=web' };
}

it('routes a bearer token by the claim $region_router_claim names, not by the default claim', async function () {
  const token = await mintWrappedToken({ home: 'us', zone: 'eu' });
  expect(await reached(api + '/v1/me', { headers: { authorization: 'Bearer ' + token } })).toBe('us/api');
});

it('routes token POSTs by that claim, and continues at $region_router_continue_at', async function () {
  const code = await mintWrappedToken({ home: 'us', zone: 'eu' });
  expect(await reached(identity + '/oauth/token', tokenPost('code', code))).toBe('us/identity');
  const refresh = await mintWrappedToken({ home: 'eu', zone: 'us' });
  expect(await reached(identity + '/oauth/token', tokenPost('refresh_token', refresh))).toBe('eu/identity');
});

it('logs a cookie that names another region than the token, and routes by the token', async function () {
  const code = await mintWrappedToken({ home: 'us' });
  expect(await reached(identity + '/oauth/token', tokenPost('code', code, 'zone=eu'))).toBe('us/identity');
  const token = await mintWrappedToken({ home: 'eu' });
  const bearer = { headers: { authorization: 'Bearer ' + token, cookie: 'zone=us' } };
  expect(await reached(api + '/v1/me', bearer)).toBe('eu/api');
  const log = nginx.errorLog();
  expect(log).toMatch(/\[warn\].*region_router: cookie region eu differs from code region us; routed by code/);
  expect(log).toMatch(/\[warn\].*region_router: cookie region us differs from bearer region eu; routed by bearer/);
});

it('ignores a token longer than $region_router_max_token_bytes as a source', async function () {
  const long = await mintWrappedToken({ home: 'us' }, { size: 3000 });
  expect(long.length).toBeGreaterThan(2048);
  const short = await mintWrappedToken({ home: 'us' }, { size: 1500 });
  expect(short.length).toBeLessThan(2048);
  // the example's default region is eu, and no cookie is sent
  expect(await reached(api + '/v1/me', { headers: { authorization: 'Bearer ' + long } })).toBe('eu/api');
  expect(await reached(api + '/v1/me', { headers: { authorization: 'Bearer ' + short } })).toBe('us/api');
  expect(await reached(identity + '/oauth/token', tokenPost('code', long))).toBe('eu/identity');
  expect(await reached(identity + '/oauth/token', tokenPost('code', short))).toBe('us/identity');
});

it('decodes a token of exactly $region_router_max_token_bytes characters, and not one of a character more', async function () {
  const at = await mintWrappedTokenOfLength({ home: 'us' }, 2048);
  const over = await mintWrappedTokenOfLength({ home: 'us' }, 2049);
  expect([at.length, over.length]).toEqual([2048, 2049]);
  expect(await reached(api + '/v1/me', { headers: { authorization: 'Bearer ' + at } })).toBe('us/api');
  expect(await reached(api + '/v1/me', { headers: { authorization: 'Bearer ' + over } })).toBe('eu/api');
  expect(await reached(identity + '/oauth/token', tokenPost('code', at))).toBe('us/identity');
  expect(await reached(identity + '/oauth/token', tokenPost('code', over))).toBe('eu/identity');
  expect(await reached(identity + '/oauth/token', tokenPost('refresh_token', at))).toBe('us/identity');
  expect(await reached(identity + '/oauth/token', tokenPost('refresh_token', over))).toBe('eu/identity');
});
