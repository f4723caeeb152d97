// A bad setting is reported in nginx's error log by variable name, and the request fails closed:
// no region is guessed.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEchoUpstream } from '../support/echo-upstream.mjs';
import { freePort, renderExample, RunningNginx, startNginx } from '../support/nginx';
import { mintWrappedToken } from '../support/tokens';

let nginx: RunningNginx;
let upstreams: { close(): Promise<void>; seen: unknown[] }[] = [];
let api = '';

beforeAll(async function () {
  const ports: Record<number, number> = {};
  for (const p of [8101, 8102, 8111, 8112]) {
    const u = await startEchoUpstream({ region: String(p), service: 'any' });
    upstreams.push(u);
    ports[p] = u.port;
  }
  ports[8080] = await freePort();
  ports[8090] = await freePort();
  api = 'http://127.0.0.1:' + ports[8090];
  nginx = await startNginx(renderExample(ports, '\n    js_var $region_router_max_token_bytes 12k;'), [{ host: '127.0.0.1', port: ports[8090] }]);
});

afterAll(async function () {
  if (nginx) await nginx.stop();
  for (const u of upstreams) await u.close();
});

it('names the variable in the error log and routes nowhere', async function () {
  const res = await fetch(api + '/x', { headers: { authorization: 'Bearer ' + (await mintWrappedToken({ zone: 'us' })) } });
  expect(res.status).toBe(500);
  expect(nginx.errorLog()).toMatch(/\[error\].*region_router: \$region_router_max_token_bytes must be a whole number from 64 to 65536, got "12k"/);
  for (const u of upstreams) expect(u.seen).toEqual([]);
});

it('still routes cookie requests, which never enter njs', async function () {
  const res = await fetch(api + '/x', { headers: { cookie: 'zone=us' } });
  expect(res.status).toBe(200);
});
