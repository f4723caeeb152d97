// decideRegion against a small model of the README's precedence rules, written apart from the code: each
// generated request is described by what each source says (a region of the table, a region outside it, or
// nothing usable), then rendered into the strings a client would send. The model reads the description;
// the router reads the strings. A router that always answered the default region fails this test.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideRegion } from '../../src/core/region';

const TABLE: Record<string, string> = { eu: 'eu', us: 'us', ap: 'ap' };
const DEFAULT = 'eu';
const SETTINGS = { claim: 'zone', maxTokenBytes: 16384, defaultRegion: DEFAULT };

function table(candidate: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(TABLE, candidate.toLowerCase())
    ? TABLE[candidate.toLowerCase()]
    : undefined;
}

/** What one source says: a region of the table (maybe in another case), a name outside it, or a broken token. */
type Says = { kind: 'region'; name: string } | { kind: 'unknown' } | { kind: 'broken' } | { kind: 'none' };

const says: fc.Arbitrary<Says> = fc.oneof(
  fc.constantFrom('eu', 'us', 'ap', 'US', 'Ap').map(function (name): Says {
    return { kind: 'region', name };
  }),
  fc.constant<Says>({ kind: 'unknown' }),
  fc.constant<Says>({ kind: 'broken' }),
  fc.constant<Says>({ kind: 'none' }),
);

function b64u(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/** A wrapped token for what a source says (undefined for 'none'). */
function token(s: Says): string | undefined {
  const header = b64u('{"alg":"ES256"}');
  switch (s.kind) {
    case 'region':
      return header + '.' + b64u(JSON.stringify({ sub: 'x', zone: s.name })) + '.c2ln';
    case 'unknown':
      return header + '.' + b64u(JSON.stringify({ zone: 'mars' })) + '.c2ln';
    case 'broken':
      return header + '.' + b64u('{"zone":') + '.c2ln';
    default:
      return undefined;
  }
}

const GRANTS: [string, string][] = [
  ['authorization_code', 'code'],
  ['refresh_token', 'refresh_token'],
  ['', 'token'],
];

interface Request {
  grant: number;
  form: Says;
  bearer: Says;
  hint: Says;
  cookie: Says;
}

/** The model: the first source, in the README's order, that names a region of the table; else the default. */
function model(req: Request): { region: string; source: string } {
  const order: [Says, string][] = [
    [req.form, GRANTS[req.grant][1]],
    [req.bearer, 'bearer'],
    [req.hint, 'id_token_hint'],
    [req.cookie, 'cookie'],
  ];
  for (const [s, source] of order) {
    if (s.kind === 'region') return { region: s.name.toLowerCase(), source };
  }
  return { region: DEFAULT, source: 'default' };
}

describe('decideRegion follows the documented precedence', function () {
  it('form field > bearer > id_token_hint > cookie > default, on 20000 generated requests', function () {
    const request = fc.record({
      grant: fc.integer({ min: 0, max: GRANTS.length - 1 }),
      form: says,
      bearer: says,
      hint: says,
      cookie: says,
    });
    fc.assert(
      fc.property(request, function (req) {
        const [grant, field] = GRANTS[req.grant];
        const formToken = token(req.form);
        const pairs = ['client_id=app'];
        if (grant !== '') pairs.push('grant_type=' + grant);
        if (formToken !== undefined) pairs.push(field + '=' + formToken);
        const bearer = token(req.bearer);
        const hint = token(req.hint);
        const cookie = req.cookie.kind === 'region' ? req.cookie.name : req.cookie.kind === 'none' ? undefined : 'mars';
        const decision = decideRegion(
          {
            form: pairs.join('&'),
            authorization: bearer === undefined ? undefined : 'Bearer ' + bearer,
            // as a query argument, with its dots percent-encoded so that only a decoded hint reads as a JWT
            idTokenHint: hint === undefined ? undefined : hint.split('.').join('%2E'),
            cookie,
          },
          SETTINGS,
          table,
        );
        expect({ region: decision.region, source: decision.source }).toEqual(model(req));
      }),
      { numRuns: 20000 },
    );
  });
});
