// The building blocks of the njs fast paths (src/njs/handlers.ts) give exactly what the general path's give, on
// generated input: the payload's claim, and the region-name check http.conf runs in C. (The form token map is
// held to the general path's form parsing through nginx: test/nginx/snippets.test.ts.)
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REGION_NAME } from '../../src/core/config';
import { claimOf, Segment } from '../../src/core/wrapped-token';

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

/** Strings near region names, and the edges of the rule, for the checks that must agree with REGION_NAME. */
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
  it("http.conf's lookup map passes to the region table exactly the names REGION_NAME accepts", function () {
    // The fast paths look a claim up through $rr_lookup; the general path tests REGION_NAME first.
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
          expect(pattern.test(s)).toBe(REGION_NAME.test(s));
        },
      ),
      { numRuns: 5000 },
    );
    for (const s of REGION_NAME_EDGES) {
      expect(pattern.test(s)).toBe(REGION_NAME.test(s));
    }
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
        const got = claimOf(segment, 'zone');
        if (typeof own === 'string' && own !== '') {
          named++;
          if (/[-_]/.test(segment)) urlAlphabet++;
          // a character above 0x7f may come as its UTF-8 bytes (atob, String.bytesFrom): no region name has one
          if (own.split('').every((c) => c.charCodeAt(0) < 0x80)) {
            expect(got).toBe(own);
          } else {
            expect([own, Buffer.from(own).toString('latin1')]).toContain(got);
          }
        } else {
          expect(typeof got).toBe('number');
        }
      }),
      { numRuns: 5000 },
    );
    expect(named).toBeGreaterThan(500);
    // payloads with and without '-' or '_' (on the njs engine atob refuses those, and Buffer reads them)
    expect(urlAlphabet).toBeGreaterThan(100);
    expect(named - urlAlphabet).toBeGreaterThan(100);
  });

  it('takes the bound on a header and signature that gateway.conf and http.conf enforce', function () {
    // The fast paths know a token's length from its payload's, within twice this bound (test/nginx/snippets.test.ts
    // holds nginx to it).
    expect(snippet('gateway.conf').match(/\{1,(\d+)\}/g)).toEqual(Array(2).fill('{1,' + Segment.Max + '}'));
    expect(snippet('http.conf').match(/\{1,(\d+)\}/g)).toEqual(['{1,' + Segment.Max + '}']);
  });
});
