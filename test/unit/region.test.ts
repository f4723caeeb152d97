import { describe, expect, it } from 'vitest';
import { decideRegion, RequestView } from '../../src/core/region';
import { CONFIG, TABLE, wrapped } from './helpers';

const EU = wrapped({ zone: 'eu' });
const US = wrapped({ zone: 'us' });

function decide(view: RequestView) {
  return decideRegion(view, CONFIG, TABLE);
}

describe('where the region comes from', function () {
  it('cookie, for front-channel requests', function () {
    expect(decide({ cookie: 'us' })).toEqual({ region: 'us', source: 'cookie', notes: [] });
  });

  it.each([
    ['grant_type=authorization_code&code=' + US, 'code'],
    ['grant_type=refresh_token&refresh_token=' + US + '&scope=openid', 'refresh_token'],
    [
      'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=' +
        US +
        '&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token',
      'subject_token',
    ],
    [
      'grant_type=urn:ietf:params:oauth:grant-type:token-exchange&subject_token=opaque&actor_token=' + US,
      'actor_token',
    ],
    ['grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=' + US, 'device_code'],
    ['grant_type=urn%3Aopenid%3Aparams%3Agrant-type%3Aciba&auth_req_id=' + US, 'auth_req_id'],
    ['token=' + US + '&token_type_hint=access_token', 'token'],
    ['access_token=' + US, 'access_token'],
    ['id_token_hint=' + US + '&post_logout_redirect_uri=x', 'id_token_hint'],
  ])('form field: %s', function (form, source) {
    expect(decide({ form, cookie: 'us' })).toMatchObject({ region: 'us', source });
  });

  it('the field the message names, not the first token-looking field', function () {
    const form = 'refresh_token=' + EU + '&grant_type=authorization_code&code=' + US;
    expect(decide({ form })).toMatchObject({ region: 'us', source: 'code' });
  });

  it('no field for grants that carry no wrapped token', function () {
    expect(decide({ form: 'grant_type=client_credentials&code=' + US, cookie: 'eu' })).toMatchObject({
      region: 'eu',
      source: 'cookie',
    });
  });

  it('bearer token, for userinfo and APIs', function () {
    expect(decide({ authorization: 'Bearer ' + US })).toMatchObject({ region: 'us', source: 'bearer' });
    expect(decide({ authorization: 'bearer  ' + US })).toMatchObject({ region: 'us', source: 'bearer' });
    expect(decide({ authorization: 'Basic ' + Buffer.from('c:s').toString('base64') })).toMatchObject({
      region: 'eu',
      source: 'default',
    });
  });

  it('id_token_hint query argument, URL-encoded', function () {
    // its dots percent-encoded: read as sent, it would not be a JWT
    const encoded = US.split('.').join('%2E');
    expect(decide({ idTokenHint: encoded })).toMatchObject({ region: 'us', source: 'id_token_hint' });
    expect(decide({ idTokenHint: US })).toMatchObject({ region: 'us', source: 'id_token_hint' });
  });

  it('the default region when nothing is known', function () {
    expect(decide({})).toEqual({ region: 'eu', source: 'default', notes: [] });
    expect(decide({ cookie: '', authorization: '', form: '', idTokenHint: '' })).toMatchObject({
      region: 'eu',
      source: 'default',
    });
  });
});

describe('precedence', function () {
  it('a token wins over the cookie, with one warn note that carries no token or cookie content', function () {
    const d = decide({ cookie: 'eu', authorization: 'Bearer ' + US });
    expect(d.region).toBe('us');
    expect(d.source).toBe('bearer');
    expect(d.notes).toEqual([
      { level: 'warn', message: 'cookie region eu differs from bearer region us; routed by bearer' },
    ]);
    // what $region_router_disagreement records, for the access log and the metrics
    expect(d.cookieDisagrees).toBe('eu');
  });

  it('agreeing sources give no note', function () {
    const d = decide({ cookie: 'us', authorization: 'Bearer ' + US });
    expect(d.notes).toEqual([]);
    expect(d.cookieDisagrees).toBeUndefined();
  });

  it('form field, then bearer, then id_token_hint, then cookie', function () {
    expect(decide({ form: 'token=' + US, authorization: 'Bearer ' + EU, idTokenHint: EU, cookie: 'eu' })).toMatchObject(
      { region: 'us', source: 'token' },
    );
    expect(decide({ authorization: 'Bearer ' + US, idTokenHint: EU, cookie: 'eu' })).toMatchObject({
      region: 'us',
      source: 'bearer',
    });
    expect(decide({ idTokenHint: US, cookie: 'eu' })).toMatchObject({ region: 'us', source: 'id_token_hint' });
  });

  it('an unusable token falls through to the next source, with an info note', function () {
    const d = decide({ authorization: 'Bearer not-a-jwt', cookie: 'us' });
    expect(d).toMatchObject({ region: 'us', source: 'cookie' });
    expect(d.notes).toEqual([
      { level: 'info', message: 'wrapped token in bearer is not a JWT (three base64url segments); not used' },
    ]);
  });

  it('a duplicated token field is ambiguous and not used', function () {
    const d = decide({ form: 'grant_type=authorization_code&code=' + US + '&code=' + EU });
    expect(d).toMatchObject({ region: 'eu', source: 'default' });
    expect(d.notes[0].message).toBe('form field code is ambiguous; not used');
  });
});

describe('the region table is the only way to a region', function () {
  it.each([
    'evil.example',
    '127.0.0.1:22',
    '../us',
    'us\r\nX-Injected: 1',
    'us\u0000',
    'x'.repeat(10000),
    'ap',
    ' us',
    'us ',
  ])('claim %j takes the default route', function (claim) {
    const d = decide({ authorization: 'Bearer ' + wrapped({ zone: claim }) });
    expect(d).toMatchObject({ region: 'eu', source: 'default' });
  });

  it('an unknown cookie takes the default route', function () {
    const d = decide({ cookie: 'evil.example' });
    expect(d).toMatchObject({ region: 'eu', source: 'default' });
    expect(d.notes).toEqual([{ level: 'info', message: 'region cookie names no configured region; not used' }]);
  });

  it("returns the table's value, never the request's spelling", function () {
    expect(decide({ cookie: 'US' })).toMatchObject({ region: 'us', source: 'cookie' });
    expect(decide({ authorization: 'Bearer ' + wrapped({ zone: 'Eu' }), cookie: 'us' })).toMatchObject({
      region: 'eu',
      source: 'bearer',
    });
  });

  it('never asks the table about a value that is not region-shaped', function () {
    const asked: string[] = [];
    decideRegion({ cookie: 'a.b', authorization: 'Bearer ' + wrapped({ zone: '127.0.0.1:22' }) }, CONFIG, function (c) {
      asked.push(c);
      return undefined;
    });
    expect(asked).toEqual([]);
  });
});
