// What the snippets work out in C, read back through a real nginx: a server of the example's http {} that
// includes gateway.conf as a gateway does and answers with the variables it set.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../dev/paths.mjs';
import { freePort } from '../../dev/ports.mjs';
import { mintWrappedToken } from '../../dev/tokens.mjs';
import { startExampleGateway } from './example-gateway';
import type { ExampleGateway } from './example-gateway';

let gateway: ExampleGateway;
let probe = '';

beforeAll(async function () {
  const port = await freePort();
  probe = 'http://127.0.0.1:' + port;
  gateway = await startExampleGateway(
    'server { listen 127.0.0.1:' +
      port +
      '; include ' +
      join(ROOT, 'nginx', 'gateway.conf') +
      '; location / { return 200 "payload=$region_router_bearer_payload"; } }',
  );
});

afterAll(async function () {
  if (gateway) await gateway.stop();
});

/** What gateway.conf cut out of this Authorization header as the bearer token's payload. */
async function payloadOf(authorization: string): Promise<string> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      const res = await fetch(probe + '/', { headers: { authorization } });
      return (await res.text()).replace(/^payload=/, '');
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise(function (r) {
        setTimeout(r, 50);
      });
    }
  }
}

describe("gateway.conf's bearer token regex", function () {
  it('takes the token apart whatever the letter case of the scheme (RFC 7235: case-insensitive)', async function () {
    const token = await mintWrappedToken({ zone: 'us' });
    const payload = token.split('.')[1];
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      expect(await payloadOf(scheme + ' ' + token), scheme).toBe(payload);
    }
    expect(await payloadOf('Bearer   ' + token), 'several spaces').toBe(payload);
  });

  it('leaves to njs what is not a compact JWS of the base64url alphabet', async function () {
    const token = await mintWrappedToken({ zone: 'us' });
    const [header, payload, signature] = token.split('.');
    expect(await payloadOf('Basic ' + token)).toBe('');
    expect(await payloadOf('Bearer ' + header + '.' + payload)).toBe('');
    expect(await payloadOf('Bearer ' + token + '.' + signature)).toBe('');
    expect(await payloadOf('Bearer ' + header + '.' + payload + '+/.' + signature)).toBe('');
    expect(await payloadOf('Bearer ' + 'a'.repeat(1025) + '.' + payload + '.' + signature)).toBe('');
  });
});
