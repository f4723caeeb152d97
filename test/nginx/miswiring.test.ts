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

/** A snippet of nginx/, included by its path. */
function include(name: string): string {
  return 'include ' + join(ROOT, 'nginx', name) + ';';
}

beforeAll(async function () {
  const api = await freePort();
  const identity = await freePort();
  apiWithout = 'http://127.0.0.1:' + api;
  identityWithout = 'http://127.0.0.1:' + identity;
  // Two gateways of the example's http {} that leave gateway.conf out of their server {}.
  gateway = await startExampleGateway(
    'server { listen 127.0.0.1:' +
      api +
      '; location / { ' +
      include('api-location.conf') +
      ' proxy_pass http://$api_upstream; } }\n' +
      'server { listen 127.0.0.1:' +
      identity +
      '; location / { ' +
      include('identity-location.conf') +
      ' proxy_pass http://$identity_upstream; } location @region_router_proxy { proxy_pass http://$identity_upstream; } }',
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
