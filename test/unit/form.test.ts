import { describe, expect, it } from 'vitest';
import { formDecode, parseForm } from '../../src/core/form';
import { tokenFields } from '../../src/core/message';

describe('form decoding', function () {
  it('decodes + and %XX, including UTF-8', function () {
    expect(formDecode('a+b%2Bc%20d')).toBe('a b+c d');
    expect(formDecode('%C3%A9t%C3%A9')).toBe('été');
    expect(formDecode('plain-token.abc_DEF')).toBe('plain-token.abc_DEF');
  });

  it.each(['%zz', '%0', '%', 'a%2', '%C3%28', '%FF'])('refuses broken encoding %j', function (raw) {
    expect(formDecode(raw)).toBeUndefined();
  });

  it('finds fields by name, decoding names and values', function () {
    const form = parseForm('grant_type=refresh_token&refresh%5Ftoken=abc%2Edef&scope=openid+profile&empty=&bare');
    expect(form.field('grant_type')).toEqual({ state: 'present', value: 'refresh_token' });
    expect(form.field('refresh_token')).toEqual({ state: 'present', value: 'abc.def' });
    expect(form.field('scope')).toEqual({ state: 'present', value: 'openid profile' });
    expect(form.field('empty')).toEqual({ state: 'present', value: '' });
    expect(form.field('bare')).toEqual({ state: 'present', value: '' });
    expect(form.field('code')).toEqual({ state: 'absent' });
  });

  it('marks a field sent twice as ambiguous and a broken value as malformed', function () {
    const form = parseForm('code=a&code=b&token=%zz');
    expect(form.field('code')).toEqual({ state: 'ambiguous' });
    expect(form.field('token')).toEqual({ state: 'malformed' });
  });

  it('is not fooled by names like __proto__ or toString', function () {
    const form = parseForm('__proto__=x&toString=y');
    expect(form.field('__proto__')).toEqual({ state: 'present', value: 'x' });
    expect(form.field('hasOwnProperty')).toEqual({ state: 'absent' });
  });
});

describe('which field carries the wrapped token', function () {
  it.each([
    ['grant_type=authorization_code', ['code']],
    ['grant_type=refresh_token', ['refresh_token']],
    ['grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange', ['subject_token', 'actor_token']],
    ['grant_type=urn:ietf:params:oauth:grant-type:device_code', ['device_code']],
    ['grant_type=urn:openid:params:grant-type:ciba', ['auth_req_id']],
    ['token=x&token_type_hint=refresh_token', ['token', 'access_token', 'id_token_hint']],
    ['grant_type=client_credentials', []],
    ['grant_type=password', []],
    ['grant_type=constructor', []],
    ['grant_type=a&grant_type=b', []],
  ])('%s -> %j', function (body, fields) {
    expect(tokenFields(parseForm(body))).toEqual(fields);
  });
});
