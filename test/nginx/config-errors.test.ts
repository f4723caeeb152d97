// A bad setting is reported in nginx's error log by variable name, and the request fails closed:
// no region is guessed.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEchoUpstream } from '../../dev/echo-upstream.mjs';
import type { EchoUpstream } from '../../dev/echo-upstream.mjs';
import { EXAMPLE_PORTS, renderExample } from '../../dev/example.mjs';
import { startNginx } from '../../dev/nginx.mjs';
import type { RunningNginx } from '../../dev/nginx.mjs';
import { freePort } from '../../dev/ports.mjs';
import { mintWrappedToken } from '../../dev/tokens.mjs';

let nginx: RunningNginx;
const upstreams: EchoUpstream[] = [];
let api = '';

beforeAll(async function () {
  const ports: Record<number, number> = {};
  for (const p of Object.values(EXAMPLE_PORTS.upstreams)) {
    const u = await startEchoUpstream({ region: String(p), service: 'any' });
    upstreams.push(u);
    ports[p] = u.port;
  }
  ports[EXAMPLE_PORTS.identity] = await freePort();
  ports[EXAMPLE_PORTS.api] = await freePort();
  api = 'http://127.0.0.1:' + ports[EXAMPLE_PORTS.api];
  nginx = await startNginx(
    renderExample({ ports, errorLog: 'info', http: 'js_var $region_router_max_token_bytes 12k;' }),
    { listen: [{ host: '127.0.0.1', port: ports[EXAMPLE_PORTS.api] }] },
  );
});

afterAll(async function () {
  if (nginx) await nginx.stop();
  for (const u of upstreams) await u.close();
});

it('names the variable in the error log and routes nowhere', async function () {
  const res = await fetch(api + '/x', {
    headers: { authorization: 'Bearer ' + (await mintWrappedToken({ zone: 'us' })) },
  });
  expect(res.status).toBe(500);
  expect(nginx.errorLog()).toMatch(
    /\[error\].*region_router: \$region_router_max_token_bytes must be a whole number from 64 to 65536, got "12k"/,
  );
  for (const u of upstreams) expect(u.seen).toEqual([]);
});

it('still routes cookie requests, which never enter njs', async function () {
  const res = await fetch(api + '/x', { headers: { cookie: 'zone=us' } });
  expect(res.status).toBe(200);
  // the echo upstreams here are named after the example's port they stand in for
  expect(res.headers.get('x-upstream')).toBe(EXAMPLE_PORTS.upstreams['us/api'] + '/any');
});
