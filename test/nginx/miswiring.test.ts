// A wiring mistake that reaches a request (region-router-check refuses each one earlier; test/release): the
// error log names it, and the access log does not show a failed request as routed.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROOT } from '../../dev/paths.mjs';
import { freePort } from '../../dev/ports.mjs';
import { mintWrappedToken } from '../../dev/tokens.mjs';
import { startExampleGateway } from './example-gateway';
import type { ExampleGateway } from './example-gateway';

let gateway: ExampleGateway;
let apiWithout = '';
let identityWithout = '';
let notGateway = '';

/** A snippet of nginx/, included by its path. */
function include(name: string): string {
  return 'include ' + join(ROOT, 'nginx', name) + ';';
}

beforeAll(async function () {
  const api = await freePort();
  const identity = await freePort();
  const other = await freePort();
  apiWithout = 'http://127.0.0.1:' + api;
  identityWithout = 'http://127.0.0.1:' + identity;
  notGateway = 'http://127.0.0.1:' + other;
  gateway = await startExampleGateway(
    [
      // two gateways that leave gateway.conf out of their server {}
      'server { listen 127.0.0.1:' + api + '; set $region_router_gateway api;',
      '  location / { ' + include('api-location.conf') + ' proxy_pass http://$api_upstream; } }',
      'server { listen 127.0.0.1:' + identity + '; set $region_router_gateway identity;',
      '  location / { ' + include('identity-location.conf') + ' proxy_pass http://$identity_upstream; }',
      '  location @region_router_proxy { proxy_pass http://$identity_upstream; } }',
      // a server that is no gateway, whose requests still have a region (metrics-http.conf counts them by it)
      'server { listen 127.0.0.1:' + other + '; location / { return 200 "$region_router_region\\n"; } }',
    ].join('\n'),
  );
});

afterAll(async function () {
  if (gateway) await gateway.stop();
});

/** The access log's line for this path, once nginx has written it. */
async function accessLine(path: string): Promise<string> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const line = gateway.nginx
      .accessLog()
      .split('\n')
      .find(function (l) {
        return l.includes(' ' + path + ' ');
      });
    if (line !== undefined || Date.now() > deadline) return line || '';
    await new Promise(function (r) {
      setTimeout(r, 10);
    });
  }
}

it('a server without gateway.conf still routes, and the error log names the missing include', async function () {
  const cookie = await fetch(apiWithout + '/no-gateway/cookie', { headers: { cookie: 'zone=us' } });
  expect(cookie.headers.get('x-upstream')).toBe('us/api');
  const bearer = await fetch(apiWithout + '/no-gateway/bearer', {
    headers: { authorization: 'Bearer ' + (await mintWrappedToken({ zone: 'us' })) },
  });
  expect(bearer.headers.get('x-upstream')).toBe('us/api');
  expect(gateway.nginx.errorLog()).toMatch(
    /\[error\].*region_router: this server \{\} does not include region-router\/gateway\.conf: every request enters njs/,
  );
});

it('a server that is no gateway is not taken for one', async function () {
  const before = gateway.nginx.errorLog().length;
  const res = await fetch(notGateway + '/static', { headers: { cookie: 'zone=us' } });
  expect(await res.text()).toBe('us\n');
  expect(gateway.nginx.errorLog().slice(before)).not.toMatch(/region_router: /);
});

it('a form POST to an identity server without gateway.conf fails, logged as failed, not as routed', async function () {
  const code = await mintWrappedToken({ zone: 'us' });
  const res = await fetch(identityWithout + '/no-gateway/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: 'zone=eu' },
    body: 'grant_type=authorization_code&code=' + code,
  });
  expect(res.status).toBe(500);
  expect(gateway.nginx.errorLog()).toContain('could not find named location "@region_router_body"');
  expect(await accessLine('/no-gateway/token')).toMatch(
    /"POST \/no-gateway\/token HTTP\/1.1" 500 \d+ region= source=- upstream=- /,
  );
});
