// Property tests of the pure core: for any cookie, Authorization header, form body and token, the router
// answers with a configured region (or the default) and a source, never throws, and logs nothing it read.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { afterAll, describe, expect, it } from 'vitest';
import { readConfig, RouterConfig, SETTINGS, SettingName } from '../../src/core/config';
import { formDecode, parseForm } from '../../src/core/form';
import { decideRegion, RequestView } from '../../src/core/region';
import { readRegionClaim } from '../../src/core/wrapped-token';
import {
  authorizationLike,
  base64url,
  DEFAULT_REGION,
  formLike,
  NOTE,
  REGIONS,
  regionLike,
  regionTable,
  TOKEN_FIELDS,
  tokenLike,
} from './arbitraries';

const CONFIG: RouterConfig = {
  defaultRegion: DEFAULT_REGION,
  claim: 'zone',
  maxTokenBytes: 16384,
  continueAt: '@region_router_proxy',
};
const SOURCES = ['cookie', 'bearer', 'default'].concat(TOKEN_FIELDS);

let cases = 0;
/** Runs a property and counts its generated cases toward the suite's total. */
function check<T>(arb: fc.Arbitrary<T>, numRuns: number, predicate: (value: T) => void): void {
  fc.assert(
    fc.property(arb, function (v) {
      cases++;
      predicate(v);
    }),
    { numRuns: numRuns },
  );
}

const view: fc.Arbitrary<RequestView> = fc.record(
  {
    cookie: regionLike,
    authorization: authorizationLike,
    form: formLike,
    idTokenHint: fc.oneof(tokenLike, tokenLike.map(encodeURIComponent)),
  },
  { requiredKeys: [] },
);

describe('decideRegion on hostile requests', function () {
  it('always answers a configured region with a source, never throws, notes carry no request content', function () {
    check(view, 40000, function (v) {
      const d = decideRegion(v, CONFIG, regionTable);
      assert.ok(REGIONS.includes(d.region), d.region);
      assert.ok(SOURCES.includes(d.source), d.source);
      if (d.source === 'default') assert.equal(d.region, DEFAULT_REGION);
      if (d.source === 'cookie') assert.equal(regionTable(v.cookie!), d.region);
      for (const n of d.notes) assert.match(n.message, NOTE);
    });
  });

  it('routes by a well-formed bearer token whose claim names a region in any letter case', function () {
    const arb = fc.tuple(fc.constantFrom('eu', 'us', 'EU', 'Us'), fc.option(regionLike, { nil: undefined }));
    check(arb, 10000, function (t) {
      const token = base64url('{"alg":"RS256"}') + '.' + base64url(JSON.stringify({ zone: t[0] })) + '.c2ln';
      const d = decideRegion({ authorization: 'Bearer ' + token, cookie: t[1] }, CONFIG, regionTable);
      assert.equal(d.region, t[0].toLowerCase());
      assert.equal(d.source, 'bearer');
    });
  });
});

describe('parseForm', function () {
  it('never throws and answers one of absent, ambiguous, malformed, present for any body and field', function () {
    check(fc.tuple(fc.string({ maxLength: 120 }), fc.string({ maxLength: 8 })), 15000, function (t) {
      const form = parseForm(t[0]);
      for (const name of [t[1], 'code', 'grant_type', '']) {
        const f = form.field(name);
        assert.ok(['absent', 'ambiguous', 'malformed', 'present'].includes(f.state));
      }
    });
  });

  it('gives back each field sent once, decoded, and refuses a field sent twice', function () {
    const pairs = fc.uniqueArray(
      fc.tuple(fc.stringMatching(/^[a-z_]{1,8}$/), fc.string({ unit: 'binary', maxLength: 20 })),
      {
        maxLength: 6,
        selector: function (p) {
          return p[0];
        },
      },
    );
    check(fc.tuple(pairs, fc.boolean()), 10000, function (t) {
      const list = t[0];
      const body = list.map(function (p) {
        return p[0] + '=' + encodeURIComponent(p[1]);
      });
      if (t[1] && list.length > 0) body.push(list[0][0] + '=again');
      const form = parseForm(body.join('&'));
      list.forEach(function (p, i) {
        const f = form.field(p[0]);
        if (t[1] && i === 0) assert.equal(f.state, 'ambiguous');
        else assert.deepEqual(f, { state: 'present', value: p[1] });
      });
    });
  });

  it('formDecode undoes form encoding and refuses broken percent-encoding', function () {
    check(fc.string({ unit: 'binary', maxLength: 30 }), 5000, function (s) {
      assert.equal(formDecode(encodeURIComponent(s).replace(/%20/g, '+')), s);
      assert.equal(formDecode(s + '%z'), undefined);
    });
  });
});

describe('readRegionClaim', function () {
  it('never throws on any token; a reading is a non-empty string region or a reason without token content', function () {
    check(
      fc.oneof(tokenLike, fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 60 })),
      20000,
      function (token) {
        const r = readRegionClaim(token, 'zone', 16384);
        if (r.ok) {
          assert.equal(typeof r.region, 'string');
          assert.ok(r.region.length > 0);
        } else if (token.length >= 4) {
          assert.ok(!r.reason.includes(token));
        }
      },
    );
  });

  it('reads the claim of any JSON-object payload that holds a non-empty string claim, and refuses the rest', function () {
    check(fc.tuple(fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 8 })), 5000, function (t) {
      const payload = { zone: t[0], other: t[1] };
      const r = readRegionClaim('eyJhbGciOiJSUzI1NiJ9.' + base64url(JSON.stringify(payload)) + '.c2ln', 'zone', 65536);
      if (typeof t[0] === 'string' && t[0].length > 0) assert.deepEqual(r, { ok: true, region: t[0] });
      else assert.equal(r.ok, false);
    });
  });
});

describe('readConfig', function () {
  const variables = (Object.keys(SETTINGS) as SettingName[]).map(function (name) {
    return SETTINGS[name].variable;
  });
  it('either reads a valid configuration or throws an error naming the variable', function () {
    const raw = fc.oneof(
      fc.constantFrom(undefined, '', 'eu', '64', '65536', '65537', '0', '@x', 'zone', ' 100 ', 'a b'),
      fc.string({ maxLength: 12 }),
    );
    check(fc.tuple(raw, raw, raw, raw), 5000, function (vals) {
      const lookup: Record<string, string | undefined> = {};
      variables.forEach(function (variable, i) {
        lookup[variable] = vals[i];
      });
      let config: RouterConfig;
      try {
        config = readConfig(lookup);
      } catch (e) {
        expect((e as Error).message).toMatch(/^\$region_router_(default_region|claim|max_token_bytes|continue_at) /);
        return;
      }
      expect(config.defaultRegion).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/);
      expect(config.claim).toMatch(/^[A-Za-z0-9_:.$-]{1,64}$/);
      expect(config.maxTokenBytes).toBeGreaterThanOrEqual(64);
      expect(config.maxTokenBytes).toBeLessThanOrEqual(65536);
      expect(config.continueAt).toMatch(/^@[A-Za-z0-9_-]{1,64}$/);
    });
  });
});

afterAll(function () {
  console.log('property: ' + cases + ' generated cases');
  expect(cases).toBeGreaterThanOrEqual(100000);
});
