// What the snippets work out in C, read back through a real nginx: a server of the example's http {} that
// includes gateway.conf as a gateway does and answers with the variables it set, or sends them on to an echo
// upstream once nginx has read the body. The oracle for the form token map is the general path's form parsing
// (parseForm, tokenFields), not the regex.
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerValues } from '../../dev/echo-upstream.mjs';
import type { Echo } from '../../dev/echo-upstream.mjs';
import { ROOT } from '../../dev/paths.mjs';
import { freePort } from '../../dev/ports.mjs';
import { mintWrappedToken } from '../../dev/tokens.mjs';
import { parseForm } from '../../src/core/form';
import { tokenFields } from '../../src/core/message';
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
      '; location / { return 200 "payload=$rr_bearer"; }' +
      ' location = /form-token { client_body_buffer_size 64k; proxy_set_header X-Form-Token $rr_form_token;' +
      ' proxy_pass http://idsvr_eu; } }',
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

/** What http.conf's form token map makes of this body: "<field>.<payload>", or "". */
async function formTokenOf(body: string): Promise<string> {
  const res = await fetch(probe + '/form-token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const echo = (await res.json()) as Echo;
  return headerValues(echo.rawHeaders, 'x-form-token')[0] || '';
}

describe("http.conf's form token map", function () {
  it('finds the field and payload of the commonest messages in their plainest form', async function () {
    const token = await mintWrappedToken({ zone: 'us' });
    const payload = token.split('.')[1];
    const cases: [string, string][] = [
      ['grant_type=authorization_code&code=' + token + '&client_id=web', 'code.' + payload],
      ['code=' + token + '&redirect_uri=x&grant_type=authorization_code', 'code.' + payload],
      ['grant_type=refresh_token&scope=a+b&refresh_token=' + token, 'refresh_token.' + payload],
      ['refresh_token=' + token + '&grant_type=refresh_token', 'refresh_token.' + payload],
      ['token=' + token + '&token_type_hint=access_token', 'token.' + payload],
      ['client_id=web&token=' + token, 'token.' + payload],
      // left to njs: a field twice, a percent-encoded name, grant_type and field that don't match, other grants,
      // a token that is not a compact JWS, a trailing '&' or newline
      ['grant_type=authorization_code&code=a&code=' + token, ''],
      ['grant_type=authorization_code&%63ode=' + token, ''],
      ['grant_type=refresh_token&code=' + token, ''],
      ['grant_type=client_credentials&token=' + token, ''],
      ['grant_type=authorization_code&code=a.b.c.d', ''],
      ['grant_type=authorization_code&code=' + token + '&', ''],
      ['grant_type=authorization_code&code=' + token + '\n', ''],
      ['token=' + token + '&token=' + token, ''],
    ];
    for (const [body, expected] of cases) {
      expect(await formTokenOf(body), body.slice(0, 60)).toBe(expected);
    }
  });

  it('bounds the header and the signature at 1024 characters, as gateway.conf does', async function () {
    const token = await mintWrappedToken({ zone: 'us' });
    const [, payload, signature] = token.split('.');
    for (const n of [1024, 1025]) {
      const long = 'a'.repeat(n) + '.' + payload + '.' + signature;
      expect(await formTokenOf('token=' + long)).toBe(n === 1024 ? 'token.' + payload : '');
      const longSignature = 'eyJhbGciOiJIUzI1NiJ9.' + payload + '.' + 'b'.repeat(n);
      expect(await formTokenOf('token=' + longSignature)).toBe(n === 1024 ? 'token.' + payload : '');
    }
  });

  it('answers only where the general path reads the same field, with the token whose payload it gives', async function () {
    const token = await mintWrappedToken({ zone: 'us' });
    // Names near the ones the map decides by, and values that could pass for part of another pair.
    const name = fc.constantFrom(
      'grant_type',
      'code',
      'refresh_token',
      'token',
      'subject_token',
      'access_token',
      'code_verifier',
      'client_id',
      'a.b~c-d_e',
      'Code',
      'grant_typ',
      'tokens',
      '%63ode',
      'c+de',
      'cod\u00e9',
      '',
    );
    const value = fc.constantFrom(
      'authorization_code',
      'refresh_token',
      'Authorization_code',
      'authorization_code2',
      'urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange',
      token,
      token + '=',
      token + '.x',
      'a.b',
      'a..b',
      'a+b.c.d',
      'a.b%2Ec.d',
      'a.b+c.d',
      'a.b/c.d',
      'a=b',
      '',
      '%zz',
    );
    const pair = fc.oneof(
      { weight: 8, arbitrary: fc.tuple(name, value).map((t) => t[0] + '=' + t[1]) },
      { weight: 1, arbitrary: name },
    );
    const common = fc.array(pair, { maxLength: 6 }).map((pairs) => pairs.join('&'));
    // The shapes it is for, with extra pairs around: many runs must reach the comparison.
    const shaped = fc
      .tuple(
        fc.constantFrom(
          ['grant_type=authorization_code', 'code=' + token],
          ['grant_type=refresh_token', 'refresh_token=' + token],
          ['token=' + token],
          ['grant_type=refresh_token', 'code=' + token],
        ),
        fc.array(pair, { maxLength: 4 }),
        fc.boolean(),
      )
      .map(function (t) {
        const pairs = t[2] ? t[0].slice().reverse() : t[0].slice();
        return pairs.concat(t[1]).join('&');
      });
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(common, shaped), async function (body) {
        const found = await formTokenOf(body);
        if (found === '') return;
        answered++;
        const dot = found.indexOf('.');
        const form = parseForm(body);
        const field = tokenFields(form)[0];
        expect(found.slice(0, dot)).toBe(field);
        const sent = form.field(field);
        expect(sent.state).toBe('present');
        // the field as sent needs no decoding, and is a compact JWS around the payload the map gives
        expect(form.encoded(field)).toBe(sent.state === 'present' ? sent.value : undefined);
        const segments = (form.encoded(field) as string).split('.');
        expect(segments.length).toBe(3);
        expect(segments[1]).toBe(found.slice(dot + 1));
        for (const segment of segments) expect(segment).toMatch(/^[A-Za-z0-9_-]*$/);
      }),
      { numRuns: 1500 },
    );
    expect(answered).toBeGreaterThan(150);
  }, 60000);
});
