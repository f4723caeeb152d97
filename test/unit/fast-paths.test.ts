// The core's fast paths for njs 0.7.9 (bench/README.md) decide exactly as the general ones: a bearer or form
// token matched as a compact JWS while it is found, and the region-name check without a regex.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DESCRIPTOR, isRegionName, readConfig, REGION_NAME, variableName } from '../../src/core/config';
import { decideRegion, RequestView } from '../../src/core/region';
import { readRegionClaim } from '../../src/core/wrapped-token';
import { CONFIG, TABLE, wrapped } from './helpers';

const US = wrapped({ zone: 'us' });

function decide(view: RequestView, maxTokenBytes = CONFIG.maxTokenBytes) {
  return decideRegion(view, { ...CONFIG, maxTokenBytes }, TABLE);
}

describe('fast paths decide as the general ones', function () {
  it('readConfig asks for each option by its variableName', function () {
    const asked: string[] = [];
    readConfig(function (variable) { asked.push(variable); return variable === variableName('defaultRegion') ? 'eu' : undefined; });
    expect(asked.sort()).toEqual(Object.keys(DESCRIPTOR).map(variableName).sort());
  });

  it('isRegionName is REGION_NAME.test', function () {
    const regionish = fc.stringMatching(/^[A-Za-z0-9_.:-]{0,70}$/);
    fc.assert(fc.property(fc.oneof(regionish, fc.string({ maxLength: 70 })), function (s) {
      expect(isRegionName(s)).toBe(REGION_NAME.test(s));
    }), { numRuns: 2000 });
    for (const s of ['', 'a', '-a', '_a', 'a-', 'a_', 'a'.repeat(63), 'a'.repeat(64), 'eu\n', 'é']) {
      expect(isRegionName(s)).toBe(REGION_NAME.test(s));
    }
  });

  it('a bearer or form token matched in one scan gets the reason readRegionClaim gives', function () {
    const tokens = [
      US,
      'abcde.' + US.split('.')[1] + '.sig', // header of length % 4 == 1
      US.split('.')[0] + '.' + Buffer.from('[1]').toString('base64url') + '.sig', // payload not an object
      wrapped({ region: 'us' }), // no claim
      wrapped({ zone: 7 }),
    ];
    for (const token of tokens) {
      for (const max of [64, token.length - 1, token.length, 16384]) {
        const reading = readRegionClaim(token, CONFIG.claim, max);
        const expected = reading.ok
          ? { region: 'us', notes: [] }
          : { region: 'eu', notes: [{ level: 'info', message: 'wrapped token in bearer ' + reading.reason + '; not used' }] };
        expect(decide({ authorization: 'Bearer ' + token }, max)).toMatchObject(expected);
        const form = decide({ form: 'grant_type=authorization_code&code=' + token }, max);
        expect(form.region).toBe(expected.region);
        expect(form.notes.map(function (n) { return n.message; })).toEqual(expected.notes.map(function (n) { return n.message.replace('bearer', 'code'); }));
      }
    }
  });

  it('a form token still encoded, or sent twice, takes the general path', function () {
    expect(decide({ form: 'code=' + US.replace(/\./g, '%2E') + '&grant_type=authorization_code' })).toMatchObject({ region: 'us', source: 'code' });
    expect(decide({ form: 'grant_type=authorization_code&code=' + US + '&code=' + US }).notes)
      .toEqual([{ level: 'info', message: 'form field code is ambiguous; not used' }]);
  });

  it('a bearer token that is not a compact JWS takes the general path', function () {
    expect(decide({ authorization: 'Bearer ' + US + '=' }).notes)
      .toEqual([{ level: 'info', message: 'wrapped token in bearer is not a JWT (three base64url segments); not used' }]);
    expect(decide({ authorization: 'Bearer ' + US + ' trailing' }).notes).toEqual([]);
    expect(decide({ authorization: 'Basic ' + US }).source).toBe('default');
  });
});
