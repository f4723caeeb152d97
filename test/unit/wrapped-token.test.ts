import { describe, expect, it } from 'vitest';
import { readRegionClaim } from '../../src/core/wrapped-token';
import { mintWrappedToken } from '../../dev/tokens.mjs';
import { wrapped } from './helpers';

const MAX = 16384;

describe('wrapped token decoding', function () {
  it('reads the region claim of a token signed by an identity server', async function () {
    const token = await mintWrappedToken({ zone: 'us' });
    expect(readRegionClaim(token, 'zone', MAX)).toEqual({ ok: true, region: 'us' });
  });

  it('reads a configurable claim name', function () {
    expect(readRegionClaim(wrapped({ region: 'eu', zone: 'us' }), 'region', MAX)).toEqual({ ok: true, region: 'eu' });
  });

  it.each([
    ['empty', '', 'is empty'],
    ['one segment', 'abc', 'is not a JWT'],
    ['two segments', 'abc.def', 'is not a JWT'],
    // a token that would read as a JWT but for its segment count
    ['four segments', wrapped({ zone: 'us' }) + '.Z2hp', 'is not a JWT'],
    ['five segments (JWE)', wrapped({ zone: 'us' }) + '.Z2hp.Z2hp', 'is not a JWT'],
    ['an empty segment', 'abc..def', 'is not a JWT'],
    ['a trailing dot', 'abc.def.', 'is not a JWT'],
    ['a leading dot', '.abc.def', 'is not a JWT'],
    ['standard base64 alphabet', 'ab+c.ZGVm.Z2hp', 'is not a JWT'],
    ['base64 padding', 'YWJj.ZGVm.Z2g=', 'is not a JWT'],
    ['a payload of an impossible length', 'ZGVm.abcde.Z2hp', 'is not a JWT'],
  ])('refuses %s', function (_what, token, reason) {
    const r = readRegionClaim(token, 'zone', MAX);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.reason).toContain(reason);
  });

  it.each([
    ['not JSON', 'not json'],
    ['a JSON array', ['eu']],
    ['a JSON string', '"eu"'],
    ['a JSON number', '42'],
    ['JSON null', 'null'],
  ])('refuses a payload that is %s', function (_what, payload) {
    expect(readRegionClaim(wrapped(payload), 'zone', MAX)).toEqual({
      ok: false,
      reason: 'has a payload that is not a JSON object',
    });
  });

  it.each([
    ['a number', 42],
    ['an object', { name: 'eu' }],
    ['an array', ['eu']],
    ['empty', ''],
    ['null', null],
  ])('refuses a claim that is %s', function (_what, value) {
    const r = readRegionClaim(wrapped({ zone: value }), 'zone', MAX);
    expect(r).toEqual({ ok: false, reason: 'has a region claim that is not a non-empty string' });
  });

  it('refuses a missing claim, and does not find claims on the prototype', function () {
    expect(readRegionClaim(wrapped({ sub: 'x' }), 'zone', MAX)).toEqual({ ok: false, reason: 'has no region claim' });
    expect(readRegionClaim(wrapped({ sub: 'x' }), 'constructor', MAX)).toEqual({
      ok: false,
      reason: 'has no region claim',
    });
  });

  it('bounds the size before decoding', function () {
    const token = wrapped({ zone: 'eu', pad: 'x'.repeat(20000) });
    expect(readRegionClaim(token, 'zone', MAX)).toEqual({
      ok: false,
      reason: 'is longer than $region_router_max_token_bytes',
    });
    expect(readRegionClaim(token, 'zone', 65536)).toEqual({ ok: true, region: 'eu' });
  });

  it('never puts token content in a reason', function () {
    const marker = 'SECRETMARKER';
    const tokens = [
      marker,
      marker + '.x.y',
      wrapped(marker),
      wrapped({ zone: { marker } }),
      wrapped({ zone: marker }) + '.z',
    ];
    for (const t of tokens) {
      const r = readRegionClaim(t, 'zone', MAX);
      expect(r.ok ? '' : r.reason).not.toContain(marker);
    }
  });
});
