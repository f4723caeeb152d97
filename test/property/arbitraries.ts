// Generators of hostile request values for the property tests: cookies, Authorization headers, form
// bodies and wrapped tokens that are almost right, plainly wrong, or right.
import fc from 'fast-check';

export const REGIONS = ['eu', 'us'];
export const DEFAULT_REGION = 'eu';

/** The region table as nginx's `map` is: keys match case-insensitively, values are the configured names. */
export function regionTable(candidate: string): string | undefined {
  const key = candidate.replace(/[A-Z]/g, function (c) {
    return c.toLowerCase();
  });
  return REGIONS.indexOf(key) >= 0 ? key : undefined;
}

export function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

export const TOKEN_FIELDS = [
  'code',
  'refresh_token',
  'subject_token',
  'actor_token',
  'device_code',
  'auth_req_id',
  'token',
  'access_token',
  'id_token_hint',
];
const GRANTS = [
  'authorization_code',
  'refresh_token',
  'urn:ietf:params:oauth:grant-type:token-exchange',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:openid:params:grant-type:ciba',
  'client_credentials',
  'password',
];

/** Region names as an attacker would put them in a claim or cookie. */
export const regionLike: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'eu',
    'us',
    'EU',
    'Us',
    'uS',
    'eu ',
    ' eu',
    'eu\r\n',
    'eu\u0000',
    '../eu',
    'eu.example.com',
    '127.0.0.1:22',
    'ap',
    '',
    'é',
    'EU\u212a',
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,70}$/),
);

/** A JSON value for the region claim: usually a string, sometimes anything else JSON can hold. */
const claimValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: regionLike },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.constant('x'.repeat(10240)) },
);

/** A wrapped token's payload: an object with or without the claim, or JSON that is no object at all. */
const payloadText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({ zone: claimValue, sub: fc.string({ maxLength: 8 }) }, { requiredKeys: [] })
      .map(function (o) {
        return JSON.stringify(o);
      }),
  },
  {
    weight: 1,
    arbitrary: fc.jsonValue({ maxDepth: 2 }).map(function (v) {
      return JSON.stringify(v) ?? 'null';
    }),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);

const segment = fc.stringMatching(/^[A-Za-z0-9_-]{0,24}$/);

/** Compact JWS-looking strings: well-formed with any payload, wrong segment counts, bad alphabet, padding. */
export const tokenLike: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.tuple(segment, payloadText, segment).map(function (t) {
      return base64url('{"alg":"RS256"}') + '.' + base64url(t[1]) + '.' + (t[2] || 'sig');
    }),
  },
  {
    weight: 1,
    arbitrary: fc.array(segment, { minLength: 1, maxLength: 6 }).map(function (s) {
      return s.join('.');
    }),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(payloadText, fc.constantFrom('=', '==', '+', '/', '%', ' ', '\u0000', '\n')).map(function (t) {
      return 'eyJhbGciOiJub25lIn0.' + base64url(t[0]) + t[1] + '.sig';
    }),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
);

/** Authorization header values: bearer with a token, other schemes, broken syntax. */
export const authorizationLike: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom('Bearer ', 'bearer ', 'BEARER  ', 'Bearer', 'Basic ', 'DPoP ', 'Bearer\t'),
        tokenLike,
        fc.constantFrom('', ' ', ',x'),
      )
      .map(function (t) {
        return t[0] + t[1] + t[2];
      }),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);

const fieldName = fc.oneof(
  fc.constantFrom(...['grant_type', 'client_id', 'redirect_uri'].concat(TOKEN_FIELDS)),
  fc.string({ maxLength: 6 }),
);

const fieldValue = fc.oneof(
  { weight: 3, arbitrary: tokenLike.map(encodeURIComponent) },
  { weight: 1, arbitrary: fc.constantFrom(...GRANTS).map(encodeURIComponent) },
  { weight: 1, arbitrary: fc.constantFrom('%zz', '%0', '%00', '%', '+', '%E2%82', '%C0%AF', '=', '') },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

/** application/x-www-form-urlencoded bodies: OAuth-shaped, with duplicates, broken encoding and junk. */
export const formLike: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 6 }).map(function (pairs) {
      return pairs
        .map(function (p) {
          return p[0] + '=' + p[1];
        })
        .join('&');
    }),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
);

/** Safe-to-log notes: fixed sentences with only source names, region names and reasons in them. */
export const NOTE =
  /^(region cookie names no configured region; not used|form field [a-z_]+ is (ambiguous|malformed); not used|query argument id_token_hint is malformed; not used|wrapped token in [a-z_]+ (is empty|is longer than \$region_router_max_token_bytes|is not a JWT \(three base64url segments\)|has a payload that is not a JSON object|has no region claim|has a region claim that is not a non-empty string|failed signature verification|names no configured region); not used|cookie region (eu|us) differs from [a-z_]+ region (eu|us); routed by [a-z_]+)$/;
