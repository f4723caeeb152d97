// The building blocks of the njs fast paths (src/njs/handlers.ts) give exactly what the general path's
// give, on generated input: the form's first token field, the payload reading, the region-name check.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRegionName, REGION_NAME } from '../../src/core/config';
import { parseForm } from '../../src/core/form';
import { firstTokenField, tokenFields } from '../../src/core/message';
import { claimOf, readPayloadClaim, readRegionClaim } from '../../src/core/wrapped-token';
import { Bearer } from '../../src/njs/bearer';
import { wrapped } from './helpers';

const US = wrapped({ zone: 'us' });

/**
 * A regex of an nginx snippet as JavaScript: PCRE's groups, classes and lookaheads read the same, but its `$`
 * also matches before a final newline, which JavaScript's does not; so `$` outside a class becomes that, and
 * `\z` (the very end) becomes JavaScript's `$`.
 */
function pcre(source: string): RegExp {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      // \z, PCRE's absolute end, is JavaScript's end of input without the m flag
      out += source[i + 1] === 'z' && !inClass ? '$' : c + source[i + 1];
      i++;
    } else if (inClass) {
      inClass = c !== ']';
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
    } else {
      out += c === '$' ? '(?=\\n?(?![\\s\\S]))' : c;
    }
  }
  return new RegExp(out);
}

/** A snippet of nginx/, as nginx reads it. */
function snippet(name: string): string {
  return readFileSync(new URL('../../nginx/' + name, import.meta.url), 'utf8');
}

/** Strings near region names, and the edges of the rule, for the checks that must agree with isRegionName. */
const regionish = fc.stringMatching(/^[A-Za-z0-9_.:-]{0,70}$/);
const REGION_NAME_EDGES = [
  '',
  'a',
  'us',
  'EU',
  '-a',
  '_a',
  'a-',
  'a_',
  'a'.repeat(63),
  'a'.repeat(64),
  'eu\n',
  'eu\r',
  ' eu',
  'é',
  'e.u',
];

describe('fast paths decide as the general ones', function () {
  it('isRegionName is REGION_NAME.test', function () {
    fc.assert(
      fc.property(fc.oneof(regionish, fc.string({ maxLength: 70 })), function (s) {
        expect(isRegionName(s)).toBe(REGION_NAME.test(s));
      }),
      { numRuns: 2000 },
    );
    for (const s of REGION_NAME_EDGES) {
      expect(isRegionName(s)).toBe(REGION_NAME.test(s));
    }
  });

  it("http.conf's lookup map passes to the region table exactly the names isRegionName accepts", function () {
    // The fast paths look a claim up through $rr_lookup instead of calling isRegionName.
    const entry =
      /map \$region_router_candidate \$rr_lookup \{\n\s*volatile;\n\s*"~(.*)"\s+\$region_router_known;\n\s*default\s+"";\n\}/.exec(
        snippet('http.conf'),
      );
    expect(entry).not.toBeNull();
    const pattern = pcre(entry![1]);
    fc.assert(
      fc.property(
        fc.oneof(regionish, fc.string({ maxLength: 70 }), fc.string({ unit: 'binary', maxLength: 8 })),
        function (s) {
          expect(pattern.test(s)).toBe(isRegionName(s));
        },
      ),
      { numRuns: 5000 },
    );
    for (const s of REGION_NAME_EDGES) {
      expect(pattern.test(s)).toBe(isRegionName(s));
    }
  });

  it('firstTokenField finds the field parseForm and tokenFields find, or leaves the body to them', function () {
    const name = fc.constantFrom(
      'grant_type',
      'code',
      'refresh_token',
      'subject_token',
      'actor_token',
      'token',
      'access_token',
      'id_token_hint',
      'client_id',
      'redirect_uri',
      '%63ode',
      'code+',
      '+code',
      'grant+type',
      'grant_type+',
      'grant%5Ftype',
      '',
      'c%ZZ',
    );
    const value = fc.constantFrom(
      'authorization_code',
      'refresh_token',
      'urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange',
      'client_credentials',
      US,
      'a%2Bb',
      '',
      '%zz',
      'x+y',
    );
    const pair = fc.oneof(
      fc.tuple(name, value).map(function (t) {
        return t[0] + '=' + t[1];
      }),
      name,
    );
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 7 }), function (pairs) {
        const body = pairs.join('&');
        const fast = firstTokenField(body);
        if (fast === undefined) return;
        const form = parseForm(body);
        const fields = tokenFields(form);
        expect(fields[0]).toBe(fast.field);
        expect(form.encoded(fast.field)).toBe(fast.encoded);
      }),
      { numRuns: 20000 },
    );
    expect(firstTokenField('grant_type=authorization_code&code=' + US)).toEqual({ field: 'code', encoded: US });
    expect(firstTokenField('code=' + US + '&grant_type=authorization_code')).toEqual({ field: 'code', encoded: US });
    expect(firstTokenField('token=' + US)).toEqual({ field: 'token', encoded: US });
    expect(firstTokenField('grant_type=authorization_code&code=a&code=b')).toBeUndefined();
    expect(firstTokenField('grant_type=authorization_code&%63ode=' + US)).toBeUndefined();
  });

  it('readPayloadClaim reads what readRegionClaim reads once the header and signature are base64url', function () {
    const payloads = fc.oneof(
      fc.jsonValue().map(function (v) {
        return JSON.stringify(v);
      }),
      fc
        .record({ zone: fc.oneof(fc.string(), fc.constantFrom('eu', 'us', '')), other: fc.jsonValue() })
        .map(function (o) {
          return JSON.stringify(o);
        }),
      fc.string(),
    );
    fc.assert(
      fc.property(payloads, function (text) {
        const segment = Buffer.from(text).toString('base64url');
        const token = 'eyJhbGciOiJSUzI1NiJ9.' + segment + '.c2ln';
        expect(readPayloadClaim(segment, 'zone')).toEqual(readRegionClaim(token, 'zone', 1 << 20));
      }),
      { numRuns: 5000 },
    );
  });

  it("claimOf gives a payload's claim as JSON.parse of its bytes has it, and a reason code otherwise", function () {
    // The oracle: Node's decoder and JSON.parse, and the claim only as the parsed object's own string member. A
    // claim with a character above 0x7f may come back as its UTF-8 bytes, one character each (what atob
    // gives): no region name has such a character, so it names no region either way.
    const key = fc.oneof(
      { weight: 3, arbitrary: fc.constant('zone') },
      { weight: 1, arbitrary: fc.constantFrom('Zone', 'zone ', '__proto__', 'constructor', 'sub', 'z\u00f6ne') },
    );
    const member = fc.oneof(
      fc.string({ unit: 'grapheme' }),
      // '>', '?', '~' and DEL make a '-' or '_' in the base64url of ASCII text, which atob refuses
      fc.constantFrom('eu', 'us', '', 'é', 'us\u0000', '>>>', '???', '~~~', '\u007f\u007f\u007f'),
      fc.jsonValue(),
    );
    const object = fc.array(fc.tuple(key, member), { maxLength: 4 }).map(function (pairs) {
      // duplicates kept: JSON.parse keeps the last
      return '{' + pairs.map((p) => JSON.stringify(p[0]) + ' : ' + JSON.stringify(p[1])).join(',') + '}';
    });
    const nested = object.map((o) => '{"a":' + o + ',"b":[' + o + ']}');
    // the key written with an escape, which JSON.parse reads as the same key
    const escaped = object.map((o) => o.split('"zone" :').join('"zo\\u006ee" :'));
    const text = fc.oneof(
      { weight: 4, arbitrary: object },
      { weight: 1, arbitrary: nested },
      { weight: 2, arbitrary: escaped },
      { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
      { weight: 1, arbitrary: fc.string() },
    );
    let named = 0;
    let urlAlphabet = 0;
    fc.assert(
      fc.property(text, function (t) {
        const segment = Buffer.from(t).toString('base64url');
        let parsed: unknown;
        try {
          parsed = JSON.parse(Buffer.from(segment, 'base64url').toString());
        } catch (e) {
          parsed = undefined;
        }
        const own =
          typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && Object.hasOwn(parsed, 'zone')
            ? (parsed as Record<string, unknown>).zone
            : undefined;
        // as the fast paths call it (atob first), and as the general path does (Buffer)
        const got = claimOf(segment, 'zone', true);
        const general = claimOf(segment, 'zone', false);
        if (typeof own === 'string' && own !== '') {
          named++;
          if (/[-_]/.test(segment)) urlAlphabet++;
          expect(general).toBe(own);
          if (own.split('').every((c) => c.charCodeAt(0) < 0x80)) {
            expect(got).toBe(own);
          } else {
            expect([own, Buffer.from(own).toString('latin1')]).toContain(got);
          }
        } else {
          expect(typeof got).toBe('number');
          expect(got).toBe(general);
        }
      }),
      { numRuns: 5000 },
    );
    expect(named).toBeGreaterThan(500);
    // both decoders: payloads with and without '-' or '_' (atob refuses those)
    expect(urlAlphabet).toBeGreaterThan(100);
    expect(named - urlAlphabet).toBeGreaterThan(100);
  });

  it('claimOf reads a payload whose atob drops an unpadded last group (nginx/njs issue 695) through Buffer', function () {
    const real = globalThis.atob;
    // that atob decodes whole groups of four characters only
    globalThis.atob = function (s: string): string {
      return real(s.slice(0, s.length - (s.length % 4)));
    };
    try {
      const lengths = new Set<number>();
      for (const text of ['{"zone":"us"}', '{"zone":"us","a":1}', '{"zone":"us","ab":1}', '{"zone":"us","abc":1}']) {
        const segment = Buffer.from(text).toString('base64url');
        lengths.add(segment.length % 4);
        expect(claimOf(segment, 'zone', true)).toBe('us');
      }
      expect([...lengths].sort()).toEqual([0, 2, 3]);
    } finally {
      globalThis.atob = real;
    }
  });

  it('takes the bound on a header and signature that gateway.conf and http.conf enforce', function () {
    // The fast paths know a token's length from its payload's, within twice this bound (test/nginx/snippets.test.ts
    // holds nginx to it).
    expect(snippet('gateway.conf').match(/\{1,(\d+)\}/g)).toEqual(Array(2).fill('{1,' + Bearer.SegmentMax + '}'));
    expect(snippet('http.conf').match(/\{1,(\d+)\}/g)).toEqual(['{1,' + Bearer.SegmentMax + '}']);
  });
});
