// The hostile corpus: requests built by category, each with the answer docs/bad-input.md documents for it.
// Every token and cookie value carries a marker (hostileMark<id>) so the logs can be searched for leaks.
import { acceptsInvalid, INVALID_NUMBERS, payloadWith, VALID_NUMBERS } from './json-numbers';
import { serialise, Message } from './wire';

export type Gateway = 'identity' | 'api';

export type Expect =
  /** Proxied to this region's upstream, with this $region_router_source in the access log. */
  | { kind: 'routed'; region: string; source: string; body?: Buffer }
  /** Answered by nginx itself with this status; no upstream sees it. */
  | { kind: 'refused'; status: number }
  /** An HTTP/0.9 request: the answer has no status line; the access log still says where it went. */
  | { kind: 'http09'; region: string; source: string };

export interface Case {
  id: number;
  category: string;
  name: string;
  gateway: Gateway;
  bytes: Buffer;
  expect: Expect;
  /** Token and cookie values that must never appear in a log. */
  secrets: string[];
  /**
   * The router's error-log lines for this request, in order, as '[level] text' (the text after
   * 'js: region_router: '); [] for none. Such cases are sent one at a time after the others, and the lines
   * each adds to the error log are compared.
   */
  njsLog?: string[];
}

export interface Category {
  id: string;
  sends: string;
  /** The documented answer, as written in docs/bad-input.md. */
  answer: string;
}

const FALLBACK =
  'token not used (info line); routed by the zone cookie, else the default region: source=cookie or default';

export const CATEGORIES: Category[] = [
  {
    id: 'token-base64url',
    sends:
      'wrapped token whose segments are not base64url: bad alphabet (+ / * ! ~ %), a payload naming a region in the standard base64 alphabet, padding (=, ==), empty segment, impossible length',
    answer: FALLBACK,
  },
  { id: 'token-segments', sends: 'wrapped token with 1, 2, 4 or 5 segments', answer: FALLBACK },
  {
    id: 'token-payload',
    sends: 'payload that is not JSON, or is a JSON array, number, string, null or boolean',
    answer: FALLBACK,
  },
  {
    id: 'json-number-invalid',
    sends:
      'payload {"zone":"us","n":N} with a number JSON forbids: 012, -01, .2, 2., 2.e3, -2., +1, -Infinity (Engine differences, below)',
    answer:
      "routed by the claim where the engine's JSON.parse accepts the number, source=the token's field: the njs engine for all but +1 and -Infinity on 0.7.9 and 0.8.9, for all on 1.0.2; else (QuickJS, for all) payload not a JSON object (info line), routed by the zone cookie, else the default region",
  },
  {
    id: 'json-number-valid',
    sends: 'payload {"zone":"us","n":N} with a valid JSON number: 1, -0.5, 2e3, 0, -0, 1E+2 (the control)',
    answer: "routed by the claim on every engine: source=the token's field",
  },
  {
    id: 'claim-invalid',
    sends:
      'region claim that is a number, object, array, null, empty, 10 KB long, holds CR/LF, NUL, ../, a host name, 127.0.0.1:22, an upstream name or address, an unknown region, a look-alike',
    answer: FALLBACK,
  },
  {
    id: 'claim-missing',
    sends: 'payload without the configured claim (other claim names: region, Zone, zone in the header)',
    answer: FALLBACK,
  },
  {
    id: 'claim-case',
    sends: 'region claim in another letter case (EU, Us, uS)',
    answer:
      "routed to that region: the region table is an nginx map, keys match case-insensitively; source=the token's field",
  },
  {
    id: 'claim-duplicate-key',
    sends: 'payload with the claim twice ({"zone":"eu","zone":"us"})',
    answer: 'the last one counts (JSON.parse); routed to it if it names a region',
  },
  {
    id: 'token-oversize',
    sends: 'wrapped token of 20 KB in a form field (over $region_router_max_token_bytes, 16384)',
    answer: FALLBACK,
  },
  {
    id: 'header-too-large',
    sends: '64 KB bearer token, 64 KB cookie, 64 KB id_token_hint in a header line, 40 Cookie headers of 1 KB',
    answer: '400 from nginx (Request Header Or Cookie Too Large); no upstream reached',
  },
  {
    id: 'cookie-many',
    sends: 'up to 20 Cookie headers, the zone cookie in one of them',
    answer: 'routed by the first zone cookie across all Cookie headers: source=cookie',
  },
  {
    id: 'cookie-duplicate',
    sends: 'zone cookie twice in one or several headers (zone=us; zone=eu)',
    answer: 'the first zone cookie wins (nginx $cookie_zone): source=cookie',
  },
  {
    id: 'cookie-invalid',
    sends:
      'zone cookie empty, quoted, percent-encoded, unknown, a host name, 127.0.0.1:22, ../eu, 7 KB long, with bytes over 0x7f',
    answer: 'cookie not used: default region, source=default (a valid token still wins)',
  },
  {
    id: 'cookie-case',
    sends: 'zone cookie in another letter case (EU, Us)',
    answer: 'routed to that region (case-insensitive map): source=cookie',
  },
  {
    id: 'form-duplicate',
    sends: 'token field sent twice (same or different regions), grant_type sent twice',
    answer: 'ambiguous, not used (RFC 6749 3.2; info line); routed by the zone cookie, else the default region',
  },
  {
    id: 'form-encoding',
    sends: 'broken percent-encoding in the token field (%zz, %0, %00, a lone %, %C0%AF), + inside the token',
    answer: 'malformed, not used (info line); routed by the zone cookie, else the default region',
  },
  {
    id: 'form-encoded-ok',
    sends: 'valid token percent-encoded, field name percent-encoded, empty pairs, & runs, other fields around it',
    answer: "decoded and routed by the token: source=the token's field",
  },
  {
    id: 'form-grant',
    sends:
      'token in a field the message does not use (client_credentials with code, authorization_code with refresh_token, unknown grant)',
    answer: "only the grant's own field is read: routed by the zone cookie, else the default region",
  },
  {
    id: 'content-type-other',
    sends: 'POST with a JSON, multipart, text/plain or no Content-Type, GET and PUT with a form body',
    answer: 'body not read: routed by the zone cookie, else the default region; body passed on intact',
  },
  {
    id: 'content-type-form',
    sends: 'form Content-Type with a charset parameter, in upper case',
    answer: 'read as a form: routed by the token; body passed on intact',
  },
  {
    id: 'body-chunked',
    sends: 'form body with Transfer-Encoding: chunked (one or several chunks, with a chunk extension)',
    answer: 'read as a form: routed by the token; body passed on intact',
  },
  {
    id: 'body-empty',
    sends: 'form POST with an empty body, or a body of only & and =',
    answer: 'default region, source=default (or the zone cookie)',
  },
  {
    id: 'body-buffered',
    sends: 'form body of 100 KB (over client_body_buffer_size 64k, so nginx buffers it to a file)',
    answer:
      'njs 0.8.10 and newer read it: routed by the token; before 0.8.10 (0.7.9, 0.8.9) the body is not read (warn line): routed by the zone cookie, else the default region; body passed on intact',
  },
  {
    id: 'body-too-large',
    sends: 'body over client_max_body_size (1 MB), by Content-Length or chunked',
    answer: '413 from nginx; no upstream reached',
  },
  {
    id: 'body-framing',
    sends: 'Content-Length with Transfer-Encoding, two Content-Length, a bad chunk size',
    answer: '400 from nginx; no upstream reached',
  },
  {
    id: 'method-options',
    sends: 'OPTIONS (CORS preflight), with and without the zone cookie',
    answer: 'routed like a GET, in C (no njs): source=cookie or default; the upstream answers the preflight',
  },
  {
    id: 'method-head',
    sends: 'HEAD with a bearer token or a cookie',
    answer: "routed like a GET: the token's region (source=bearer), else cookie or default",
  },
  { id: 'method-trace', sends: 'TRACE', answer: '405 from nginx; no upstream reached' },
  { id: 'uri-long', sends: 'URI of 6 KB', answer: 'routed as usual (cookie, else default)' },
  { id: 'uri-too-long', sends: 'URI of 9 KB and 64 KB', answer: '414 from nginx; no upstream reached' },
  {
    id: 'uri-odd',
    sends: 'dot segments, percent-encoded dots and slashes, absolute-form request target, another Host',
    answer: 'routed as usual (cookie, else default) to a configured upstream',
  },
  {
    id: 'uri-invalid',
    sends: '%00 in the path, dot segments above the root',
    answer: '400 from nginx; no upstream reached',
  },
  {
    id: 'query-hint',
    sends: 'id_token_hint broken (%zz), empty, twice, next to other arguments',
    answer: 'a broken hint is not used (info line); with two, the first counts (nginx $arg_); else cookie or default',
  },
  {
    id: 'authorization-other',
    sends: 'Basic, DPoP, Negotiate, "Bearer" alone, bearer with a comma list, bytes over 0x7f',
    answer: 'not a bearer token: routed by the zone cookie, else the default region',
  },
  {
    id: 'authorization-twice',
    sends: 'two Authorization headers',
    answer: '400 from nginx (duplicate header line); no upstream reached',
  },
  {
    id: 'raw-bytes',
    sends:
      'NUL or bare CR in a header, obs-fold, header without colon, no Host in HTTP/1.1, two Host headers, a space in the target, garbage request line, lower-case method, HTTP/2 preface',
    answer: '400 from nginx; no upstream reached',
  },
  { id: 'raw-version', sends: 'request line with HTTP/9.9', answer: '505 from nginx; no upstream reached' },
  {
    id: 'raw-http09',
    sends: 'a request line cut by a bare LF (GET /path LF ...): nginx reads an HTTP/0.9 request',
    answer:
      'HTTP/0.9 has no headers, so no cookie or token: default region, source=default; the answer has no status line',
  },
  {
    id: 'sovereignty',
    sends: 'valid token for us with the zone cookie eu (and the reverse)',
    answer: 'the token wins (it names the home of that grant); one warn line without token or cookie content',
  },
];

export function b64u(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

const HEADER = b64u('{"alg":"RS256","typ":"JWT"}');

/** A marker that is also a valid base64url segment (length % 4 == 0). */
export function marker(id: number): string {
  let m = 'hostileMark' + id;
  while (m.length % 4 !== 0) m += 'Q';
  return m;
}

/** An unsigned wrapped token: the router decodes, it does not verify (yet). */
export function craft(payload: string, id: number): string {
  return HEADER + '.' + b64u(payload) + '.' + marker(id);
}

interface Channel {
  name: string;
  gateway: Gateway;
  /** The $region_router_source the token gets when it is used. */
  source: string;
  message(target: string, token: string, cookie?: string): Message;
}

const FORM = 'application/x-www-form-urlencoded';

function cookieHeader(id: number, zone?: string): [string, string] {
  return ['Cookie', (zone === undefined ? '' : 'zone=' + zone + '; ') + 'sid=' + marker(id)];
}

export const CHANNELS: Channel[] = [
  {
    name: 'bearer',
    gateway: 'api',
    source: 'bearer',
    message: function (t, token, c) {
      return {
        method: 'GET',
        target: t + '/accounts/me',
        headers: [
          ['Authorization', 'Bearer ' + token],
          ['Cookie', c!],
        ],
      };
    },
  },
  {
    name: 'code',
    gateway: 'identity',
    source: 'code',
    message: function (t, token, c) {
      return {
        method: 'POST',
        target: t + '/oauth/token',
        headers: [
          ['Content-Type', FORM],
          ['Cookie', c!],
        ],
        body: 'grant_type=authorization_code&code=' + encodeURIComponent(token) + '&client_id=web',
      };
    },
  },
  {
    name: 'refresh_token',
    gateway: 'identity',
    source: 'refresh_token',
    message: function (t, token, c) {
      return {
        method: 'POST',
        target: t + '/oauth/token',
        headers: [
          ['Content-Type', FORM],
          ['Cookie', c!],
        ],
        body: 'client_id=web&grant_type=refresh_token&refresh_token=' + encodeURIComponent(token),
      };
    },
  },
  {
    name: 'token',
    gateway: 'identity',
    source: 'token',
    message: function (t, token, c) {
      return {
        method: 'POST',
        target: t + '/oauth/introspect',
        headers: [
          ['Content-Type', FORM],
          ['Cookie', c!],
        ],
        body: 'token=' + encodeURIComponent(token),
      };
    },
  },
  {
    name: 'id_token_hint',
    gateway: 'identity',
    source: 'id_token_hint',
    message: function (t, token, c) {
      return {
        method: 'GET',
        target: t + '/logout?post_logout_redirect_uri=x&id_token_hint=' + encodeURIComponent(token),
        headers: [['Cookie', c!]],
      };
    },
  },
];

export interface CorpusContext {
  /** An address something listens on that is NOT a configured upstream: nothing may ever reach it. */
  sentinel: string;
  /** Signed wrapped tokens for us and eu (jose, RS256). */
  signed: { us: string; eu: string };
  /** Whether the runtime's njs reads a body nginx buffered to a temp file (njs 0.8.10 and newer). */
  readsBodyFiles: boolean;
  /** The runtime's JavaScript engine and njs version (`njs -v` in its image): JSON.parse differs by both. */
  engine: 'njs' | 'qjs';
  njsVersion: string;
}

export function buildCorpus(ctx: CorpusContext): Case[] {
  const cases: Case[] = [];
  let category = '';
  const add = function (
    name: string,
    gateway: Gateway,
    message: Message | Buffer,
    expect: Expect,
    secrets: string[] = [],
    njsLog?: string[],
  ) {
    const id = cases.length;
    const bytes = Buffer.isBuffer(message) ? message : serialise(message, 'login.example.com');
    cases.push({ id, category, name, gateway, bytes, expect, secrets: secrets.concat(marker(id)), njsLog });
  };
  const nextId = function () {
    return cases.length;
  };
  const prefix = function () {
    return '/h/' + nextId();
  };
  const fallback = function (zone?: string): Expect {
    const region =
      zone === undefined
        ? undefined
        : ({ eu: 'eu', us: 'us', EU: 'eu', US: 'us', Us: 'us' } as Record<string, string>)[zone];
    return { kind: 'routed', region: region ?? 'eu', source: region ? 'cookie' : 'default' };
  };
  const routed = function (region: string, source: string, body?: string | Buffer): Expect {
    return { kind: 'routed', region, source, body: body === undefined ? undefined : Buffer.from(body) };
  };
  const refused = function (status: number): Expect {
    return { kind: 'refused', status };
  };

  /** A token that must be skipped, through every channel; every other case also carries the zone cookie us. */
  const skippedEverywhere = function (name: string, token: (id: number) => string, channels = CHANNELS) {
    for (const ch of channels) {
      const id = nextId();
      const zone = id % 2 === 1 ? 'us' : undefined;
      const t = token(id);
      add(
        name + ' via ' + ch.name + (zone ? ' + cookie' : ''),
        ch.gateway,
        ch.message(prefix(), t, cookieHeader(id, zone)[1]),
        fallback(zone),
        [t],
      );
    }
  };

  category = 'token-base64url';
  const payloadUs = b64u('{"zone":"us"}');
  for (const bad of ['+', '/', '*', '!', '~', '%']) {
    skippedEverywhere(
      'payload with ' + bad,
      function (id) {
        return HEADER + '.' + payloadUs.slice(0, 4) + bad + payloadUs.slice(4) + '.' + marker(id);
      },
      CHANNELS.slice(0, 3),
    );
  }
  // A payload naming us in the standard alphabet ('+' and '/'), which the njs engine's atob would read: nginx
  // and the general path must refuse it before it is decoded.
  const standard = Buffer.from('{"zone":"us","ref":"???~~~>>>"}').toString('base64').replace(/=+$/, '');
  if (!/\+/.test(standard) || !/\//.test(standard)) throw new Error('the standard-alphabet payload lacks + or /');
  skippedEverywhere('payload in the standard base64 alphabet (+ and /)', function (id) {
    return HEADER + '.' + standard + '.' + marker(id);
  });
  skippedEverywhere('padding =', function (id) {
    return HEADER + '.' + payloadUs + '=.' + marker(id);
  });
  skippedEverywhere(
    'padding ==',
    function (id) {
      return HEADER + '.' + payloadUs + '==.' + marker(id);
    },
    CHANNELS.slice(1, 3),
  );
  skippedEverywhere('empty header segment', function (id) {
    return '.' + payloadUs + '.' + marker(id);
  });
  skippedEverywhere('empty payload segment', function (id) {
    return HEADER + '..' + marker(id);
  });
  skippedEverywhere(
    'empty signature segment',
    function () {
      return HEADER + '.' + payloadUs + '.';
    },
    CHANNELS.slice(1, 4),
  );
  let impossible = payloadUs;
  while (impossible.length % 4 !== 1) impossible += 'A';
  skippedEverywhere(
    'payload of impossible length (4n+1)',
    function (id) {
      return HEADER + '.' + impossible + '.' + marker(id);
    },
    CHANNELS.slice(0, 2),
  );

  category = 'token-segments';
  skippedEverywhere('1 segment', function (id) {
    return payloadUs + marker(id);
  });
  skippedEverywhere('2 segments', function (id) {
    return HEADER + '.' + payloadUs + marker(id);
  });
  skippedEverywhere('4 segments', function (id) {
    return HEADER + '.' + payloadUs + '.' + marker(id) + '.AAAA';
  });
  skippedEverywhere('5 segments (JWE shape)', function (id) {
    return HEADER + '.' + marker(id) + '.' + payloadUs + '.AAAA.AAAA';
  });

  category = 'token-payload';
  for (const p of ['not json', '["us"]', '42', '"us"', 'null', 'true', '{"zone":"us"', '']) {
    skippedEverywhere(
      'payload ' + JSON.stringify(p),
      function (id) {
        return craft(p, id);
      },
      p === '' ? CHANNELS.slice(0, 2) : CHANNELS.slice(0, 3),
    );
  }

  category = 'claim-invalid';
  const claims: [string, unknown][] = [
    ['number', 1],
    ['zero', 0],
    ['object', { region: 'us' }],
    ['array', ['us']],
    ['null', null],
    ['true', true],
    ['empty', ''],
    ['10 KB', 'u'.repeat(10240)],
    ['CR/LF', 'us\r\n'],
    ['header injection', 'us\r\nX-Injected: 1'],
    ['NUL', 'us\u0000'],
    ['only NUL', '\u0000'],
    ['../', '../us'],
    ['../../', '../../etc/passwd'],
    ['host name', 'us.example.com'],
    ['127.0.0.1:22', '127.0.0.1:22'],
    ['sentinel address', ctx.sentinel],
    ['sentinel URL', 'http://' + ctx.sentinel + '/'],
    ['upstream name', 'idsvr_us'],
    ['localhost', 'localhost'],
    ['unknown region', 'ap'],
    ['map keyword default', 'default'],
    ['map keyword volatile', 'volatile'],
    ['leading space', ' us'],
    ['trailing space', 'us '],
    ['two regions', 'us eu'],
    ['Cyrillic look-alike', '\u0435u'],
    ['Kelvin sign', 'u\u212a'],
    ['wildcard', '*.us'],
    ['regex', '~us'],
    ['semicolon', 'us;'],
  ];
  for (const c of claims) {
    skippedEverywhere(
      'claim ' + c[0],
      function (id) {
        return craft(JSON.stringify({ zone: c[1] }), id);
      },
      c[0] === '10 KB' ? CHANNELS.slice(1, 3) : [CHANNELS[0], CHANNELS[1], CHANNELS[4]],
    );
  }

  category = 'claim-missing';
  skippedEverywhere(
    'claim region',
    function (id) {
      return craft('{"region":"us"}', id);
    },
    CHANNELS.slice(0, 2),
  );
  skippedEverywhere(
    'claim Zone',
    function (id) {
      return craft('{"Zone":"us"}', id);
    },
    CHANNELS.slice(0, 2),
  );
  skippedEverywhere(
    'zone only in the header',
    function (id) {
      return b64u('{"alg":"none","zone":"us"}') + '.' + b64u('{"sub":"x"}') + '.' + marker(id);
    },
    CHANNELS.slice(0, 2),
  );

  category = 'claim-case';
  for (const z of ['EU', 'Us', 'uS', 'US']) {
    for (const ch of CHANNELS) {
      const id = nextId();
      const t = craft(JSON.stringify({ zone: z }), id);
      add(
        'claim ' + z + ' via ' + ch.name,
        ch.gateway,
        ch.message(prefix(), t, cookieHeader(id)[1]),
        routed(z.toLowerCase(), ch.source),
        [t],
      );
    }
  }

  category = 'claim-duplicate-key';
  for (const ch of CHANNELS.slice(0, 2)) {
    let id = nextId();
    let t = craft('{"zone":"eu","zone":"us"}', id);
    add(
      'zone eu then us via ' + ch.name,
      ch.gateway,
      ch.message(prefix(), t, cookieHeader(id)[1]),
      routed('us', ch.source),
      [t],
    );
    id = nextId();
    t = craft('{"zone":"us","zone":"../x"}', id);
    add('zone us then ../x via ' + ch.name, ch.gateway, ch.message(prefix(), t, cookieHeader(id)[1]), fallback(), [t]);
  }

  category = 'token-oversize';
  skippedEverywhere(
    '20 KB token',
    function (id) {
      return craft(JSON.stringify({ zone: 'us', ref: 'x'.repeat(15000) }), id);
    },
    CHANNELS.slice(1, 4),
  );

  category = 'header-too-large';
  {
    let id = nextId();
    const t = craft(JSON.stringify({ zone: 'us', ref: 'x'.repeat(48000) }), id);
    add(
      '64 KB bearer token',
      'api',
      { method: 'GET', target: prefix() + '/x', headers: [['Authorization', 'Bearer ' + t]] },
      refused(400),
      [t],
    );
    id = nextId();
    add(
      '64 KB cookie',
      'identity',
      {
        method: 'GET',
        target: prefix() + '/x',
        headers: [['Cookie', 'zone=us; big=' + marker(id) + 'x'.repeat(65536)]],
      },
      refused(400),
    );
    id = nextId();
    add(
      '64 KB zone cookie',
      'identity',
      { method: 'GET', target: prefix() + '/x', headers: [['Cookie', 'zone=' + marker(id) + 'u'.repeat(65536)]] },
      refused(400),
    );
    id = nextId();
    add(
      '9 KB bearer token',
      'api',
      {
        method: 'GET',
        target: prefix() + '/x',
        headers: [['Authorization', 'Bearer ' + craft(JSON.stringify({ zone: 'us', ref: 'x'.repeat(6500) }), id)]],
      },
      refused(400),
    );
    id = nextId();
    const many: [string, string][] = [];
    for (let i = 0; i < 40; i++) many.push(['Cookie', 'c' + i + '=' + marker(id) + 'y'.repeat(1000)]);
    add(
      '40 Cookie headers of 1 KB',
      'identity',
      { method: 'GET', target: prefix() + '/x', headers: many },
      refused(400),
    );
    id = nextId();
    add(
      '64 KB header of another name',
      'identity',
      { method: 'GET', target: prefix() + '/x', headers: [['X-Hostile', marker(id) + 'z'.repeat(65536)]] },
      refused(400),
    );
  }

  category = 'cookie-many';
  for (const at of [0, 4, 19]) {
    for (const gw of ['identity', 'api'] as Gateway[]) {
      const id = nextId();
      const hs: [string, string][] = [];
      for (let i = 0; i < 20; i++) hs.push(['Cookie', i === at ? 'zone=us' : 'c' + i + '=' + marker(id)]);
      // On the API gateway an Authorization header without a bearer token sends the request through njs.
      if (gw === 'api') hs.push(['Authorization', 'Basic ' + marker(id)]);
      add(
        '20 Cookie headers, zone in #' + (at + 1) + ' (' + gw + ')',
        gw,
        { method: 'GET', target: prefix() + '/x', headers: hs },
        fallback('us'),
      );
    }
  }

  category = 'cookie-duplicate';
  for (const gw of ['identity', 'api'] as Gateway[]) {
    const auth: [string, string][] = gw === 'api' ? [['Authorization', 'Basic eA==']] : [];
    let id = nextId();
    add(
      'zone=us; zone=eu (' + gw + ')',
      gw,
      {
        method: 'GET',
        target: prefix() + '/x',
        headers: auth.concat([['Cookie', 'zone=us; zone=eu; sid=' + marker(id)]]),
      },
      fallback('us'),
    );
    id = nextId();
    add(
      'zone=eu; zone=us (' + gw + ')',
      gw,
      {
        method: 'GET',
        target: prefix() + '/x',
        headers: auth.concat([['Cookie', 'zone=eu;zone=us; sid=' + marker(id)]]),
      },
      fallback('eu'),
    );
    id = nextId();
    add(
      'zone=us then zone=eu in two headers (' + gw + ')',
      gw,
      {
        method: 'GET',
        target: prefix() + '/x',
        headers: auth.concat([
          ['Cookie', 'zone=us'],
          ['Cookie', 'zone=eu; sid=' + marker(id)],
        ]),
      },
      fallback('us'),
    );
    id = nextId();
    add(
      'zone=bogus then zone=us (' + gw + ')',
      gw,
      {
        method: 'GET',
        target: prefix() + '/x',
        headers: auth.concat([['Cookie', 'zone=' + marker(id) + '; zone=us']]),
      },
      fallback(),
    );
  }

  category = 'cookie-invalid';
  const badZones = [
    '',
    '""',
    '"us"',
    'u%73',
    'us%00',
    'ap',
    'us.example.com',
    '127.0.0.1:22',
    ctx.sentinel,
    '../eu',
    'idsvr_us',
    'default',
    'u'.repeat(7000),
    'us\u00e9',
    '\u00ff\u00fe',
    'us,eu',
    'us eu',
  ];
  for (const z of badZones) {
    for (const gw of ['identity', 'api'] as Gateway[]) {
      const id = nextId();
      const auth: [string, string][] = gw === 'api' ? [['Authorization', 'Basic ' + marker(id)]] : [];
      const value = Buffer.from('zone=' + z + '; sid=' + marker(id), 'latin1').toString('latin1');
      add(
        'zone=' + JSON.stringify(z.length > 20 ? z.slice(0, 5) + '...(' + z.length + ')' : z) + ' (' + gw + ')',
        gw,
        { method: 'GET', target: prefix() + '/x', headers: auth.concat([['Cookie', value]]) },
        fallback(),
      );
    }
  }
  {
    const id = nextId();
    const t = ctx.signed.us;
    add(
      'unknown zone cookie + valid us bearer',
      'api',
      {
        method: 'GET',
        target: prefix() + '/x',
        headers: [
          ['Authorization', 'Bearer ' + t],
          ['Cookie', 'zone=' + marker(id)],
        ],
      },
      routed('us', 'bearer'),
      [t.slice(-24)],
    );
  }

  category = 'cookie-case';
  for (const z of ['EU', 'Us', 'US']) {
    for (const gw of ['identity', 'api'] as Gateway[]) {
      const id = nextId();
      const auth: [string, string][] = gw === 'api' ? [['Authorization', 'Basic ' + marker(id)]] : [];
      add(
        'zone=' + z + ' (' + gw + ')',
        gw,
        {
          method: 'GET',
          target: prefix() + '/x',
          headers: auth.concat([['Cookie', 'zone=' + z + '; sid=' + marker(id)]]),
        },
        fallback(z),
      );
    }
  }

  const formPost = function (
    name: string,
    body: string,
    expect: (body: string) => Expect,
    zone?: string,
    contentType = FORM,
  ) {
    const id = nextId();
    add(
      name,
      'identity',
      {
        method: 'POST',
        target: prefix() + '/oauth/token',
        headers: [['Content-Type', contentType], cookieHeader(id, zone)],
        body,
      },
      expect(body),
    );
  };
  const us = function (id: number) {
    return craft('{"zone":"us"}', id);
  };
  const eu = function (id: number) {
    return craft('{"zone":"eu"}', id);
  };

  category = 'form-duplicate';
  for (const zone of [undefined, 'us']) {
    formPost(
      'code twice, same region',
      'grant_type=authorization_code&code=' + us(nextId()) + '&code=' + us(nextId()),
      function () {
        return fallback(zone);
      },
      zone,
    );
    formPost(
      'code twice, different regions',
      'grant_type=authorization_code&code=' + us(nextId()) + '&code=' + eu(nextId()),
      function () {
        return fallback(zone);
      },
      zone,
    );
    formPost(
      'code twice, one empty',
      'grant_type=authorization_code&code=&code=' + us(nextId()),
      function () {
        return fallback(zone);
      },
      zone,
    );
    formPost(
      'grant_type twice',
      'grant_type=authorization_code&grant_type=authorization_code&code=' + us(nextId()),
      function () {
        return fallback(zone);
      },
      zone,
    );
    formPost(
      'token twice',
      'token=' + us(nextId()) + '&token=' + us(nextId()),
      function () {
        return fallback(zone);
      },
      zone,
    );
    formPost(
      'refresh_token twice',
      'grant_type=refresh_token&refresh_token=' + us(nextId()) + '&refresh_token=x',
      function () {
        return fallback(zone);
      },
      zone,
    );
    formPost(
      'code twice, second name percent-encoded',
      'grant_type=authorization_code&code=' + us(nextId()) + '&co%64e=' + eu(nextId()),
      function () {
        return fallback(zone);
      },
      zone,
    );
  }

  category = 'form-encoding';
  for (const bad of ['%zz', '%0', '%00', '%', '%C0%AF', '%E2%82']) {
    for (const zone of [undefined, 'us']) {
      formPost(
        'code with ' + bad,
        'grant_type=authorization_code&code=' + us(nextId()) + bad,
        function () {
          return fallback(zone);
        },
        zone,
      );
    }
  }
  formPost('+ inside the code', 'grant_type=authorization_code&code=' + us(nextId()).replace('.', '+.'), function () {
    return fallback();
  });
  formPost(
    '+ inside the token (us cookie)',
    'token=' + us(nextId()).replace('.', '.+'),
    function () {
      return fallback('us');
    },
    'us',
  );
  formPost(
    '%2B inside the code',
    'grant_type=authorization_code&code=' + us(nextId()).replace('.', '%2B.'),
    function () {
      return fallback();
    },
  );
  formPost(
    'broken encoding in another field',
    'grant_type=authorization_code&redirect_uri=%zz&code=' + us(nextId()),
    function (b) {
      return routed('us', 'code', b);
    },
  );

  category = 'form-encoded-ok';
  formPost(
    'code fully percent-encoded',
    'grant_type=authorization_code&code=' +
      us(nextId()).replace(/[A-Za-z]/g, function (c) {
        return '%' + c.charCodeAt(0).toString(16);
      }),
    function (b) {
      return routed('us', 'code', b);
    },
  );
  formPost('field name percent-encoded', 'grant_type=authorization_code&%63ode=' + us(nextId()), function (b) {
    return routed('us', 'code', b);
  });
  formPost('grant_type percent-encoded', 'grant_type=authorization%5Fcode&code=' + us(nextId()), function (b) {
    return routed('us', 'code', b);
  });
  formPost('empty pairs and & runs', '&&grant_type=authorization_code&&&code=' + us(nextId()) + '&&=&', function (b) {
    return routed('us', 'code', b);
  });
  formPost(
    'code before grant_type',
    'code=' + eu(nextId()) + '&client_id=web&grant_type=authorization_code',
    function (b) {
      return routed('eu', 'code', b);
    },
    'us',
  );
  formPost(
    '200 other fields',
    Array.from({ length: 200 }, function (_, i) {
      return 'f' + i + '=' + i;
    }).join('&') +
      '&token=' +
      us(nextId()),
    function (b) {
      return routed('us', 'token', b);
    },
  );
  formPost(
    'device_code',
    'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=' + us(nextId()),
    function (b) {
      return routed('us', 'device_code', b);
    },
  );
  formPost(
    'subject_token',
    'grant_type=urn:ietf:params:oauth:grant-type:token-exchange&subject_token=' + us(nextId()),
    function (b) {
      return routed('us', 'subject_token', b);
    },
  );
  formPost(
    'auth_req_id',
    'grant_type=urn%3Aopenid%3Aparams%3Agrant-type%3Aciba&auth_req_id=' + us(nextId()),
    function (b) {
      return routed('us', 'auth_req_id', b);
    },
  );
  formPost('access_token (userinfo POST)', 'access_token=' + us(nextId()), function (b) {
    return routed('us', 'access_token', b);
  });
  formPost('id_token_hint (logout POST)', 'id_token_hint=' + us(nextId()) + '&state=x', function (b) {
    return routed('us', 'id_token_hint', b);
  });

  category = 'form-grant';
  formPost('client_credentials with code', 'grant_type=client_credentials&code=' + us(nextId()), function () {
    return fallback();
  });
  formPost(
    'authorization_code with refresh_token only',
    'grant_type=authorization_code&refresh_token=' + us(nextId()),
    function () {
      return fallback();
    },
  );
  formPost(
    'unknown grant with code',
    'grant_type=' + marker(nextId()) + '&code=' + us(nextId()),
    function () {
      return fallback('us');
    },
    'us',
  );
  formPost('grant_type empty with code', 'grant_type=&code=' + us(nextId()), function () {
    return fallback();
  });
  formPost('grant_type malformed', 'grant_type=%zz&code=' + us(nextId()), function () {
    return fallback();
  });
  formPost('password grant with token', 'grant_type=password&username=u&token=' + us(nextId()), function () {
    return fallback();
  });

  category = 'content-type-other';
  for (const ct of ['application/json', 'multipart/form-data; boundary=xyz', 'text/plain', '']) {
    for (const zone of [undefined, 'us']) {
      const id = nextId();
      const t = us(id);
      const body = ct.startsWith('application/json')
        ? JSON.stringify({ grant_type: 'authorization_code', code: t })
        : ct.startsWith('multipart')
          ? '--xyz\r\nContent-Disposition: form-data; name="code"\r\n\r\n' + t + '\r\n--xyz--\r\n'
          : 'grant_type=authorization_code&code=' + t;
      const headers: [string, string][] = [cookieHeader(id, zone)];
      if (ct) headers.unshift(['Content-Type', ct]);
      add(
        'POST ' + (ct || 'without Content-Type') + (zone ? ' + cookie' : ''),
        'identity',
        { method: 'POST', target: prefix() + '/oauth/token', headers, body },
        { ...fallback(zone), body: Buffer.from(body) } as Expect,
      );
    }
  }
  for (const method of ['GET', 'PUT', 'PATCH']) {
    const id = nextId();
    const body = 'grant_type=authorization_code&code=' + us(id);
    add(
      method + ' with a form body',
      'identity',
      { method, target: prefix() + '/oauth/token', headers: [['Content-Type', FORM], cookieHeader(id)], body },
      { ...fallback(), body: Buffer.from(body) } as Expect,
    );
  }

  category = 'content-type-form';
  for (const ct of [
    'application/x-www-form-urlencoded; charset=UTF-8',
    'application/x-www-form-urlencoded;charset=ISO-8859-1',
    'APPLICATION/X-WWW-FORM-URLENCODED',
    'Application/x-www-form-urlencoded ; charset="utf-8"',
  ]) {
    formPost(
      'Content-Type ' + ct,
      'grant_type=authorization_code&code=' + us(nextId()),
      function (b) {
        return routed('us', 'code', b);
      },
      'eu',
      ct,
    );
  }

  category = 'body-chunked';
  const chunked = function (name: string, parts: string[], expect: (body: string) => Expect, ext = '') {
    const id = nextId();
    const wire =
      parts
        .map(function (p) {
          return Buffer.byteLength(p).toString(16) + ext + '\r\n' + p + '\r\n';
        })
        .join('') + '0\r\n\r\n';
    add(
      name,
      'identity',
      {
        method: 'POST',
        target: prefix() + '/oauth/token',
        headers: [['Content-Type', FORM], ['Transfer-Encoding', 'chunked'], cookieHeader(id)],
        body: wire,
        contentLength: false,
      },
      expect(parts.join('')),
    );
  };
  chunked('one chunk', ['grant_type=authorization_code&code=' + us(nextId())], function (b) {
    return routed('us', 'code', b);
  });
  chunked(
    'token split over chunks',
    ['grant_type=authorization_code&co', 'de=' + us(nextId()).slice(0, 10), us(nextId() - 1).slice(10)],
    function (b) {
      return routed('us', 'code', b);
    },
  );
  chunked('one byte per chunk', ('token=' + eu(nextId())).split(''), function (b) {
    return routed('eu', 'token', b);
  });
  chunked(
    'chunk extension',
    ['refresh_token=' + us(nextId()) + '&grant_type=refresh_token'],
    function (b) {
      return routed('us', 'refresh_token', b);
    },
    ';ext=1',
  );
  chunked('chunked, no token', ['grant_type=client_credentials&client_id=x'], function (b) {
    return routed('eu', 'default', b);
  });

  category = 'body-empty';
  formPost('empty form body', '', function () {
    return fallback();
  });
  formPost(
    'empty form body + cookie',
    '',
    function () {
      return fallback('us');
    },
    'us',
  );
  formPost('only separators', '&&&===&', function () {
    return fallback();
  });
  formPost('only =', '=', function () {
    return fallback();
  });
  chunked('chunked, zero chunks', [], function () {
    return fallback();
  });

  category = 'body-buffered';
  // The answer follows the runtime's njs: whether it can read the temp file.
  const file = ctx.readsBodyFiles;
  formPost(
    '100 KB body, token first',
    'grant_type=authorization_code&code=' + us(nextId()) + '&pad=' + 'p'.repeat(100000),
    function (b) {
      return file ? routed('us', 'code', b) : routed('eu', 'default', b);
    },
  );
  formPost(
    '100 KB body, token first, cookie us',
    'grant_type=authorization_code&code=' + eu(nextId()) + '&pad=' + 'p'.repeat(100000),
    function (b) {
      return file ? routed('eu', 'code', b) : routed('us', 'cookie', b);
    },
    'us',
  );
  chunked(
    '100 KB chunked body',
    ['grant_type=authorization_code&code=' + us(nextId()) + '&pad=', 'p'.repeat(50000), 'p'.repeat(50000)],
    function (b) {
      return file ? routed('us', 'code', b) : routed('eu', 'default', b);
    },
  );

  category = 'body-too-large';
  formPost('1.1 MB form body', 'token=' + us(nextId()) + '&pad=' + 'p'.repeat(1100000), function () {
    return refused(413);
  });
  {
    const id = nextId();
    add(
      '1.1 MB JSON body',
      'identity',
      {
        method: 'POST',
        target: prefix() + '/oauth/token',
        headers: [['Content-Type', 'application/json'], cookieHeader(id)],
        body: '"' + 'p'.repeat(1100000) + '"',
      },
      refused(413),
    );
  }
  chunked(
    '1.1 MB chunked form body',
    ['token=' + us(nextId()) + '&pad=', 'p'.repeat(600000), 'p'.repeat(600000)],
    function () {
      return refused(413);
    },
  );
  {
    const id = nextId();
    add(
      'Content-Length 10 GB declared',
      'identity',
      {
        method: 'POST',
        target: prefix() + '/oauth/token',
        headers: [['Content-Type', FORM], ['Content-Length', '10000000000'], cookieHeader(id)],
        body: 'token=' + us(id),
        contentLength: false,
      },
      refused(413),
    );
  }

  category = 'body-framing';
  {
    let id = nextId();
    add(
      'Content-Length and Transfer-Encoding',
      'identity',
      {
        method: 'POST',
        target: prefix() + '/oauth/token',
        headers: [['Content-Type', FORM], ['Content-Length', '5'], ['Transfer-Encoding', 'chunked'], cookieHeader(id)],
        body: '5\r\ntoken\r\n0\r\n\r\n',
        contentLength: false,
      },
      refused(400),
    );
    id = nextId();
    add(
      'two Content-Length',
      'identity',
      {
        method: 'POST',
        target: prefix() + '/oauth/token',
        headers: [['Content-Type', FORM], ['Content-Length', '5'], ['Content-Length', '6'], cookieHeader(id)],
        body: 'token=',
        contentLength: false,
      },
      refused(400),
    );
    id = nextId();
    add(
      'bad chunk size',
      'identity',
      {
        method: 'POST',
        target: prefix() + '/oauth/token',
        headers: [['Content-Type', FORM], ['Transfer-Encoding', 'chunked'], cookieHeader(id)],
        body: 'zz\r\ntoken=' + us(id) + '\r\n0\r\n\r\n',
        contentLength: false,
      },
      refused(400),
    );
    id = nextId();
    add(
      'negative Content-Length',
      'identity',
      {
        method: 'POST',
        target: prefix() + '/oauth/token',
        headers: [['Content-Type', FORM], ['Content-Length', '-1'], cookieHeader(id)],
        body: '',
        contentLength: false,
      },
      refused(400),
    );
    id = nextId();
    add(
      'Transfer-Encoding gzip, chunked',
      'identity',
      {
        method: 'POST',
        target: prefix() + '/oauth/token',
        headers: [['Content-Type', FORM], ['Transfer-Encoding', 'gzip, chunked'], cookieHeader(id)],
        body: '0\r\n\r\n',
        contentLength: false,
      },
      refused(501),
    );
  }

  category = 'method-options';
  for (const zone of [undefined, 'us', 'EU']) {
    for (const gw of ['identity', 'api'] as Gateway[]) {
      const id = nextId();
      add(
        'OPTIONS preflight' + (zone ? ' zone=' + zone : '') + ' (' + gw + ')',
        gw,
        {
          method: 'OPTIONS',
          target: prefix() + '/oauth/token',
          headers: [
            ['Origin', 'https://app.example'],
            ['Access-Control-Request-Method', 'POST'],
            ['Access-Control-Request-Headers', 'authorization, content-type'],
            cookieHeader(id, zone),
          ],
        },
        fallback(zone),
      );
    }
  }

  category = 'method-head';
  {
    let id = nextId();
    add(
      'HEAD with a us bearer token',
      'api',
      { method: 'HEAD', target: prefix() + '/x', headers: [['Authorization', 'Bearer ' + us(id)], cookieHeader(id)] },
      routed('us', 'bearer'),
    );
    id = nextId();
    add(
      'HEAD with zone=us',
      'identity',
      { method: 'HEAD', target: prefix() + '/x', headers: [cookieHeader(id, 'us')] },
      fallback('us'),
    );
    id = nextId();
    add(
      'HEAD with a broken bearer token',
      'api',
      { method: 'HEAD', target: prefix() + '/x', headers: [['Authorization', 'Bearer ' + marker(id)]] },
      fallback(),
    );
    id = nextId();
    add(
      'HEAD with id_token_hint',
      'identity',
      { method: 'HEAD', target: prefix() + '/logout?id_token_hint=' + us(id), headers: [cookieHeader(id)] },
      routed('us', 'id_token_hint'),
    );
  }

  category = 'method-trace';
  for (const gw of ['identity', 'api'] as Gateway[]) {
    const id = nextId();
    add(
      'TRACE (' + gw + ')',
      gw,
      { method: 'TRACE', target: prefix() + '/x', headers: [cookieHeader(id, 'us')] },
      refused(405),
    );
  }

  category = 'uri-long';
  for (const zone of [undefined, 'us']) {
    const id = nextId();
    add(
      '6 KB URI' + (zone ? ' + cookie' : ''),
      'identity',
      { method: 'GET', target: prefix() + '/' + 'a'.repeat(6000), headers: [cookieHeader(id, zone)] },
      fallback(zone),
    );
  }
  {
    const id = nextId();
    add(
      '6 KB query with a us id_token_hint',
      'identity',
      {
        method: 'GET',
        target: prefix() + '/logout?pad=' + 'q'.repeat(6000) + '&id_token_hint=' + us(id),
        headers: [cookieHeader(id)],
      },
      routed('us', 'id_token_hint'),
    );
  }

  category = 'uri-too-long';
  for (const size of [9000, 65536]) {
    const id = nextId();
    add(
      size + ' byte URI',
      'identity',
      {
        method: 'GET',
        target: prefix() + '/logout?id_token_hint=' + marker(id) + 'a'.repeat(size),
        headers: [cookieHeader(id)],
      },
      refused(414),
    );
  }

  category = 'uri-odd';
  {
    const odd = ['/./x', '/a/../x', '/%2e%2e/x', '/%2Fx', '//x', '/x%20y', '/x?a=%zz', '/x?id_token_hint'];
    for (const o of odd) {
      const id = nextId();
      add(
        'target ' + o,
        'identity',
        { method: 'GET', target: prefix() + '/p' + o, headers: [cookieHeader(id, 'us')] },
        fallback('us'),
      );
    }
    let id = nextId();
    add(
      'absolute-form target naming another host',
      'identity',
      { method: 'GET', target: 'http://' + ctx.sentinel + prefix() + '/x', headers: [cookieHeader(id, 'us')] },
      fallback('us'),
    );
    id = nextId();
    add(
      'Host header naming the sentinel',
      'identity',
      { method: 'GET', target: prefix() + '/x', headers: [['Host', ctx.sentinel], cookieHeader(id)] },
      fallback(),
    );
  }

  category = 'uri-invalid';
  {
    let id = nextId();
    add(
      '%00 in the path',
      'identity',
      { method: 'GET', target: prefix() + '/x%00y', headers: [cookieHeader(id, 'us')] },
      refused(400),
    );
    id = nextId();
    add(
      'dot segments above the root',
      'identity',
      { method: 'GET', target: '/../../h/' + id + '/x', headers: [cookieHeader(id, 'us')] },
      refused(400),
    );
  }

  category = 'query-hint';
  {
    let id = nextId();
    add(
      'id_token_hint=%zz',
      'identity',
      { method: 'GET', target: prefix() + '/logout?id_token_hint=%zz' + marker(id), headers: [cookieHeader(id)] },
      fallback(),
    );
    id = nextId();
    add(
      'id_token_hint=%zz + cookie',
      'identity',
      {
        method: 'GET',
        target: prefix() + '/logout?id_token_hint=' + marker(id) + '%zz',
        headers: [cookieHeader(id, 'us')],
      },
      fallback('us'),
    );
    id = nextId();
    add(
      'id_token_hint empty',
      'identity',
      { method: 'GET', target: prefix() + '/logout?id_token_hint=', headers: [cookieHeader(id, 'us')] },
      fallback('us'),
    );
    id = nextId();
    add(
      'id_token_hint twice: us then eu',
      'identity',
      {
        method: 'GET',
        target: prefix() + '/logout?id_token_hint=' + us(id) + '&id_token_hint=' + eu(id),
        headers: [cookieHeader(id)],
      },
      routed('us', 'id_token_hint'),
    );
    id = nextId();
    add(
      'id_token_hint twice: broken then us',
      'identity',
      {
        method: 'GET',
        target: prefix() + '/logout?id_token_hint=' + marker(id) + '&id_token_hint=' + us(id),
        headers: [cookieHeader(id)],
      },
      fallback(),
    );
    id = nextId();
    add(
      'ID_TOKEN_HINT (other case)',
      'identity',
      { method: 'GET', target: prefix() + '/logout?ID_TOKEN_HINT=' + us(id), headers: [cookieHeader(id)] },
      routed('us', 'id_token_hint'),
    );
    id = nextId();
    add(
      'id_token_hint with + in it',
      'identity',
      {
        method: 'GET',
        target: prefix() + '/logout?id_token_hint=' + us(id).replace('.', '+.'),
        headers: [cookieHeader(id)],
      },
      fallback(),
    );
  }

  category = 'authorization-other';
  for (const a of [
    'Basic dXNlcjpwYXNz',
    'DPoP %T',
    'Bearer',
    'Bearer ',
    'Bearer  %T, Bearer %T',
    'Bearer %T,x',
    'Token %T',
    'bearer%T',
    'Bearer \u00ff\u00fe%T',
    'Negotiate %T',
  ]) {
    for (const zone of [undefined, 'us']) {
      const id = nextId();
      const value = a.replace(/%T/g, us(id));
      add(
        'Authorization: ' + a + (zone ? ' + cookie' : ''),
        'api',
        { method: 'GET', target: prefix() + '/x', headers: [['Authorization', value], cookieHeader(id, zone)] },
        fallback(zone),
        [us(id)],
      );
    }
  }

  category = 'authorization-twice';
  for (const zone of [undefined, 'us']) {
    const id = nextId();
    add(
      'two Authorization headers (broken, then us)' + (zone ? ' + cookie' : ''),
      'api',
      {
        method: 'GET',
        target: prefix() + '/x',
        headers: [
          ['Authorization', 'Bearer ' + marker(id)],
          ['Authorization', 'Bearer ' + us(id)],
          cookieHeader(id, zone),
        ],
      },
      refused(400),
    );
  }

  category = 'raw-bytes';
  {
    const raw = function (name: string, text: string) {
      add(name, 'identity', Buffer.from(text.replace(/\$ID/g, String(nextId())), 'latin1'), refused(400));
    };
    raw(
      'NUL in the Cookie header',
      'GET /h/$ID/x HTTP/1.1\r\nHost: a\r\nCookie: zone=us\u0000; sid=hostileMark$ID\r\nConnection: close\r\n\r\n',
    );
    raw(
      'bare CR in the Authorization header',
      'GET /h/$ID/x HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer hostileMark$ID\rX-Evil: 1\r\nConnection: close\r\n\r\n',
    );
    raw(
      'NUL in a header name',
      'GET /h/$ID/x HTTP/1.1\r\nHost: a\r\nCoo\u0000kie: zone=us\r\nConnection: close\r\n\r\n',
    );
    raw(
      'obs-fold continuation line',
      'GET /h/$ID/x HTTP/1.1\r\nHost: a\r\nCookie: zone=eu;\r\n zone=us\r\nConnection: close\r\n\r\n',
    );
    raw('no Host in HTTP/1.1', 'GET /h/$ID/x HTTP/1.1\r\nCookie: zone=us\r\nConnection: close\r\n\r\n');
    raw('two Host headers', 'GET /h/$ID/x HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n');
    raw('space inside the target', 'GET /h/$ID/x y/z HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    raw('garbage request line', '\u0001\u0002\u0003 hostile\r\n\r\n');
    raw('lower-case method', 'get /h/$ID/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    raw('HTTP/2 preface on the HTTP/1 port', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    raw(
      'header line without a colon',
      'GET /h/$ID/x HTTP/1.1\r\nHost: a\r\nCookie zone=us hostileMark$ID\r\nConnection: close\r\n\r\n',
    );
  }

  category = 'raw-version';
  for (const gw of ['identity', 'api'] as Gateway[]) {
    add(
      'HTTP/9.9 (' + gw + ')',
      gw,
      Buffer.from(
        'GET /h/' + nextId() + '/x HTTP/9.9\r\nHost: a\r\nCookie: zone=us\r\nConnection: close\r\n\r\n',
        'latin1',
      ),
      refused(505),
    );
  }

  category = 'raw-http09';
  for (const gw of ['identity', 'api'] as Gateway[]) {
    add(
      'bare LF inside the request line (' + gw + ')',
      gw,
      Buffer.from(
        'GET /h/' + nextId() + '\n/x HTTP/1.1\r\nHost: a\r\nCookie: zone=us\r\nConnection: close\r\n\r\n',
        'latin1',
      ),
      { kind: 'http09', region: 'eu', source: 'default' },
    );
  }

  category = 'sovereignty';
  {
    let id = nextId();
    add(
      'signed us bearer, cookie eu',
      'api',
      {
        method: 'GET',
        target: prefix() + '/x',
        headers: [['Authorization', 'Bearer ' + ctx.signed.us], cookieHeader(id, 'eu')],
      },
      routed('us', 'bearer'),
      [ctx.signed.us.slice(-24)],
    );
    id = nextId();
    add(
      'signed eu code, cookie us',
      'identity',
      {
        method: 'POST',
        target: prefix() + '/oauth/token',
        headers: [['Content-Type', FORM], cookieHeader(id, 'us')],
        body: 'grant_type=authorization_code&code=' + ctx.signed.eu,
      },
      routed('eu', 'code', 'grant_type=authorization_code&code=' + ctx.signed.eu),
      [ctx.signed.eu.slice(-24)],
    );
    id = nextId();
    add(
      'signed us id_token_hint, cookie eu',
      'identity',
      { method: 'GET', target: prefix() + '/logout?id_token_hint=' + ctx.signed.us, headers: [cookieHeader(id, 'eu')] },
      routed('us', 'id_token_hint'),
      [ctx.signed.us.slice(-24)],
    );
  }

  // Added after the others so that the ids of the cases above stay as they were.
  // A payload that is not valid JSON because of one number: what the engine's JSON.parse does decides, as the
  // njs CLI of each runtime showed (json-numbers.ts); the valid numbers around them are the control.
  const numberCase = function (text: string, accepted: boolean) {
    for (const ch of CHANNELS.slice(0, 2)) {
      const id = nextId();
      const t = craft(payloadWith(text), id);
      add(
        text +
          ' via ' +
          ch.name +
          (accepted ? ' (JSON.parse accepts it: routed by the claim)' : ' (JSON.parse throws)'),
        ch.gateway,
        ch.message(prefix(), t, cookieHeader(id)[1]),
        accepted ? routed('us', ch.source) : fallback(),
        [t],
        accepted ? [] : ['[info] wrapped token in ' + ch.name + ' has a payload that is not a JSON object; not used'],
      );
    }
  };
  category = 'json-number-invalid';
  for (const n of INVALID_NUMBERS) numberCase(n.text, acceptsInvalid(n, ctx.engine, ctx.njsVersion));
  category = 'json-number-valid';
  for (const text of VALID_NUMBERS) numberCase(text, true);

  return cases;
}
