// The message types of the conformance matrix: each says what a client of a user sends (built for the
// user's home region and the other one) and where the router must send it, from which source.
import { readsBodyFiles } from '../../dev/runtimes.mjs';
import { mintWrappedToken } from '../../dev/tokens.mjs';
import type { GatewayInfo, Region, Service } from '../harness/topology';
import type { Sent, TransportInfo } from './exchange';

/** nginx/gateway.conf: client_body_buffer_size in @region_router_body. */
export const BODY_BUFFER = 64 * 1024;
// nginx may read up to client_header_buffer_size (1k) of the body together with the request header, so
// a body must exceed the buffer by more than that to be sure it goes to a temp file.
const HEADER_PREREAD = 1024;
// nginx (1.21.2+) reads an HTTP/1.1 Content-Length body of less than 1.25 x client_body_buffer_size into one
// memory buffer; only a larger one goes to a temp file (ngx_http_read_client_request_body: size += size >> 2).
export const IN_MEMORY_LIMIT = BODY_BUFFER + (BODY_BUFFER >> 2);

/**
 * Whether nginx keeps a body of `size` bytes in memory, where njs before 0.8.10 can read it. HTTP/1.1 with a
 * Content-Length: below 1.25 x client_body_buffer_size. HTTP/1.1 chunked: up to the buffer size. HTTP/2 and
 * HTTP/3, with or without a Content-Length: up to the buffer size (their request body readers size the
 * buffer by client_body_buffer_size alone), so there a token POST of 64 to 80 KB goes to a temp file too.
 */
function keptInMemory(size: number, transport: TransportInfo, chunked: boolean): boolean {
  if (transport.protocol !== 'HTTP/1.1' || chunked) return size <= BODY_BUFFER;
  return size < IN_MEMORY_LIMIT;
}

export interface Expected {
  /** 'home' is the user's home region; 'default' is the configured default region. */
  region: 'home' | 'default';
  /** $region_router_source, as the access log records it. */
  source: string;
  /** Status the upstream answers with (asked of the echo upstream), which must come back unchanged. */
  status: number;
  /** region_router warn lines this request must log, one each (and no others). */
  warns: RegExp[];
  /** The cookie's region, where it names another region than the token that routes: a disagreement. */
  cookieDisagrees?: Region;
}

export interface Built {
  service: Service;
  sent: Sent;
  expected: Expected;
  /** Secrets that must never appear in nginx's logs. */
  secrets: string[];
}

/** What the entry gateway's njs can do, where expectations differ by version, and how the message goes. */
export interface GatewayAbilities {
  /** njs 0.8.10 and newer read a body buffered to a temp file; 0.7.9 can't. */
  readsBodyFiles: boolean;
  transport: TransportInfo;
}

export function gatewayAbilities(gateway: GatewayInfo, transport: TransportInfo): GatewayAbilities {
  return { readsBodyFiles: readsBodyFiles(gateway.njsVersion), transport };
}

export interface MessageType {
  name: string;
  /** Why a browser's fetch() can't send it as built (interim 100 Continue, a streamed body): not sent over HTTP/3. */
  notByBrowser?: string;
  build(home: Region, other: Region, gateway: GatewayAbilities): Promise<Built>;
}

/** A message of a user whose home is `home`, entering at `gateway`, and the region it must reach. */
export async function buildCase(
  message: MessageType,
  home: Region,
  gateway: GatewayInfo,
  defaultRegion: string,
  transport: TransportInfo,
): Promise<{ built: Built; region: string }> {
  const other = home === 'eu' ? 'us' : 'eu';
  const built = await message.build(home, other, gatewayAbilities(gateway, transport));
  // the echo upstream answers with the status the case expects back
  if (built.expected.status !== 200) built.sent.headers.push(['X-Echo-Status', String(built.expected.status)]);
  return { built, region: built.expected.region === 'home' ? home : defaultRegion };
}

const IDENTITY_HOST = 'login.example.com';
const API_HOST = 'api.example.com';
const FORM = 'application/x-www-form-urlencoded';
const CLIENT_BASIC = 'Basic ' + Buffer.from('web-client:s3cr%t').toString('base64');
const SESSION = 'sess-7f3a9c';
const REDIRECT = encodeURIComponent('https://app.example/cb');

const TOKEN_DISAGREES = function (cookie: Region, field: string, token: Region): RegExp {
  return new RegExp(
    'region_router: cookie region ' + cookie + ' differs from ' + field + ' region ' + token + '; routed by ' + field,
  );
};
const BODY_NOT_READ = /region_router: request body is buffered to a file, so it was not read/;

function zoneCookie(region: string): string {
  return 'zone=' + region + '; __Host-session=' + SESSION + '; theme=dark';
}

function expect(region: Expected['region'], source: string, status = 200, warns: RegExp[] = []): Expected {
  return { region, source, status, warns };
}

function form(fields: [string, string][]): Buffer {
  return Buffer.from(
    fields
      .map(function (f) {
        return f[0] + '=' + f[1];
      })
      .join('&'),
  );
}

/** A browser GET to the identity server. */
function browserGet(target: string, cookie: string | undefined, extra: [string, string][] = []): Sent {
  const headers: [string, string][] = [
    ['Host', IDENTITY_HOST],
    ['Accept', 'text/html'],
    ['User-Agent', 'Mozilla/5.0 (conformance)'],
  ];
  if (cookie !== undefined) headers.push(['Cookie', cookie]);
  return { method: 'GET', target, headers: headers.concat(extra) };
}

/** A back-channel form POST from an OAuth client to the identity server. */
function formPost(target: string, body: Buffer, extra: [string, string][] = [['Authorization', CLIENT_BASIC]]): Sent {
  return {
    method: 'POST',
    target,
    headers: (
      [
        ['Host', IDENTITY_HOST],
        ['Content-Type', FORM],
        ['Accept', 'application/json'],
      ] as [string, string][]
    ).concat(extra),
    body,
  };
}

function apiRequest(
  method: string,
  target: string,
  token: string,
  body?: Buffer,
  extra: [string, string][] = [],
): Sent {
  const headers: [string, string][] = [
    ['Host', API_HOST],
    ['Authorization', 'Bearer ' + token],
    ['Accept', 'application/json'],
  ];
  if (body !== undefined) headers.push(['Content-Type', 'application/json; charset=utf-8']);
  return { method, target, headers: headers.concat(extra), body };
}

function token(region: string): Promise<string> {
  return mintWrappedToken({ zone: region });
}

/**
 * A token whose payload has text beyond ASCII and whose base64url has a '-' and a '_' (one of three '~' in a
 * row, and one of three '?', is the last byte of a group of three): on the njs engine atob refuses it, so it
 * is decoded the other way (Buffer, UTF-8).
 */
async function tokenWithText(region: string): Promise<string> {
  const t = await mintWrappedToken({ zone: region, name: 'Zoë Ångström ✓', note: '~~~???' });
  const payload = t.split('.')[1];
  if (!payload.includes('-') || !payload.includes('_')) throw new Error("the payload lacks '-' or '_': " + payload);
  return t;
}

/** A token request carrying `code`, padded with authorization_details to exactly `size` bytes. */
function codeRequestOfSize(code: string, size: number): Buffer {
  const head = 'grant_type=authorization_code&code=' + code + '&redirect_uri=' + REDIRECT + '&authorization_details=';
  const shell = encodeURIComponent(JSON.stringify([{ type: 'account_information', ref: '' }]));
  const pad = size - head.length - shell.length;
  if (pad < 0) throw new Error('body size ' + size + ' is too small for the token request');
  const details = encodeURIComponent(JSON.stringify([{ type: 'account_information', ref: 'x'.repeat(pad) }]));
  const body = Buffer.from(head + details);
  if (body.length !== size) throw new Error('padded body is ' + body.length + ' bytes, wanted ' + size);
  return body;
}

export const MESSAGE_TYPES: MessageType[] = [
  {
    name: 'authorize GET, zone cookie',
    async build(home) {
      const target =
        '/oauth/authorize?response_type=code&client_id=web&redirect_uri=' +
        REDIRECT +
        '&scope=openid%20profile&state=af0ifjsldkj&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256';
      return {
        service: 'identity',
        sent: browserGet(target, zoneCookie(home)),
        expected: expect('home', 'cookie', 302),
        secrets: [SESSION],
      };
    },
  },
  {
    name: 'login page GET, zone cookie',
    async build(home) {
      const target = '/login?client_id=web&return_to=%2Foauth%2Fauthorize%3Fstate%3Daf0ifjsldkj';
      return {
        service: 'identity',
        sent: browserGet(target, zoneCookie(home)),
        expected: expect('home', 'cookie'),
        secrets: [SESSION],
      };
    },
  },
  {
    name: 'token POST, code',
    async build(home) {
      const code = await token(home);
      const body = form([
        ['grant_type', 'authorization_code'],
        ['code', code],
        ['redirect_uri', REDIRECT],
        ['code_verifier', 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'],
      ]);
      return {
        service: 'identity',
        sent: formPost('/oauth/token', body),
        expected: expect('home', 'code'),
        secrets: [code],
      };
    },
  },
  {
    name: 'token POST, code, payload beyond ASCII',
    async build(home) {
      const code = await tokenWithText(home);
      const body = form([
        ['grant_type', 'authorization_code'],
        ['code', code],
        ['redirect_uri', REDIRECT],
      ]);
      return {
        service: 'identity',
        sent: formPost('/oauth/token', body),
        expected: expect('home', 'code'),
        secrets: [code],
      };
    },
  },
  {
    name: 'token POST, refresh_token',
    async build(home) {
      const refresh = await token(home);
      const body = form([
        ['grant_type', 'refresh_token'],
        ['refresh_token', refresh],
        ['scope', 'openid'],
      ]);
      // an invalid_grant answer must come back as the identity server sent it
      return {
        service: 'identity',
        sent: formPost('/oauth/token', body),
        expected: expect('home', 'refresh_token', 400),
        secrets: [refresh],
      };
    },
  },
  {
    name: 'token exchange, subject_token',
    async build(home) {
      const subject = await token(home);
      const body = form([
        ['grant_type', encodeURIComponent('urn:ietf:params:oauth:grant-type:token-exchange')],
        ['subject_token', subject],
        ['subject_token_type', encodeURIComponent('urn:ietf:params:oauth:token-type:access_token')],
        ['audience', 'https%3A%2F%2Fapi.example.com'],
      ]);
      return {
        service: 'identity',
        sent: formPost('/oauth/token', body),
        expected: expect('home', 'subject_token'),
        secrets: [subject],
      };
    },
  },
  {
    name: 'device grant, device_code',
    async build(home) {
      const device = await token(home);
      const body = form([
        ['grant_type', encodeURIComponent('urn:ietf:params:oauth:grant-type:device_code')],
        ['device_code', device],
        ['client_id', 'tv-app'],
      ]);
      // authorization_pending, while the user has not approved yet
      return {
        service: 'identity',
        sent: formPost('/oauth/token', body, []),
        expected: expect('home', 'device_code', 400),
        secrets: [device],
      };
    },
  },
  {
    name: 'CIBA, auth_req_id',
    async build(home) {
      const authReq = await token(home);
      const body = form([
        ['grant_type', encodeURIComponent('urn:openid:params:grant-type:ciba')],
        ['auth_req_id', authReq],
      ]);
      return {
        service: 'identity',
        sent: formPost('/oauth/token', body),
        expected: expect('home', 'auth_req_id'),
        secrets: [authReq],
      };
    },
  },
  {
    name: 'introspection, token',
    async build(home) {
      const t = await token(home);
      const body = form([
        ['token', t],
        ['token_type_hint', 'access_token'],
      ]);
      return {
        service: 'identity',
        sent: formPost('/oauth/introspect', body),
        expected: expect('home', 'token'),
        secrets: [t],
      };
    },
  },
  {
    name: 'revocation, token',
    async build(home) {
      const t = await token(home);
      const body = form([
        ['token', t],
        ['token_type_hint', 'refresh_token'],
      ]);
      return {
        service: 'identity',
        sent: formPost('/oauth/revoke', body),
        expected: expect('home', 'token'),
        secrets: [t],
      };
    },
  },
  {
    name: 'userinfo GET, bearer',
    async build(home) {
      const t = await token(home);
      const sent = browserGet('/oauth/userinfo', undefined, [['Authorization', 'Bearer ' + t]]);
      return { service: 'identity', sent, expected: expect('home', 'bearer'), secrets: [t] };
    },
  },
  {
    name: 'userinfo POST, access_token',
    async build(home) {
      const t = await token(home);
      return {
        service: 'identity',
        sent: formPost('/oauth/userinfo', form([['access_token', t]]), []),
        expected: expect('home', 'access_token'),
        secrets: [t],
      };
    },
  },
  {
    name: 'logout GET, id_token_hint',
    async build(home) {
      const hint = await token(home);
      const target = '/oauth/logout?id_token_hint=' + hint + '&post_logout_redirect_uri=' + REDIRECT + '&state=bye';
      return {
        service: 'identity',
        sent: browserGet(target, zoneCookie(home)),
        expected: expect('home', 'id_token_hint', 302),
        secrets: [hint, SESSION],
      };
    },
  },
  {
    name: 'logout POST, id_token_hint',
    async build(home) {
      const hint = await token(home);
      const body = form([
        ['id_token_hint', hint],
        ['post_logout_redirect_uri', REDIRECT],
      ]);
      return {
        service: 'identity',
        sent: formPost('/oauth/logout', body, [['Cookie', zoneCookie(home)]]),
        expected: expect('home', 'id_token_hint', 302),
        secrets: [hint, SESSION],
      };
    },
  },
  {
    name: 'API GET, bearer',
    async build(home) {
      const t = await token(home);
      return {
        service: 'api',
        sent: apiRequest('GET', '/accounts/me?fields=name%2Cemail&page=2', t),
        expected: expect('home', 'bearer'),
        secrets: [t],
      };
    },
  },
  {
    name: 'API GET, bearer, payload beyond ASCII',
    async build(home) {
      const t = await tokenWithText(home);
      return {
        service: 'api',
        sent: apiRequest('GET', '/accounts/me', t),
        expected: expect('home', 'bearer'),
        secrets: [t],
      };
    },
  },
  {
    name: 'API POST, bearer',
    async build(home) {
      const t = await token(home);
      const body = Buffer.from(
        JSON.stringify({ amount: '12.50', currency: 'EUR', payee: 'Zoë Ångström', memo: 'a&b=c%d' }),
      );
      return {
        service: 'api',
        sent: apiRequest('POST', '/orders?idempotency=42', t, body),
        expected: expect('home', 'bearer', 201),
        secrets: [t],
      };
    },
  },
  {
    name: 'first visit, no region information',
    async build() {
      const sent = browserGet(
        '/oauth/authorize?response_type=code&client_id=web&redirect_uri=' + REDIRECT + '&state=first',
        undefined,
      );
      return { service: 'identity', sent, expected: expect('default', 'default', 302), secrets: [] };
    },
  },
  {
    name: 'unknown region in the cookie',
    async build() {
      return {
        service: 'identity',
        sent: browserGet('/login', zoneCookie('mars')),
        expected: expect('default', 'default'),
        secrets: [SESSION],
      };
    },
  },
  {
    name: 'unknown region in a claim',
    async build() {
      const t = await token('mars');
      const sent = browserGet('/oauth/userinfo', undefined, [['Authorization', 'Bearer ' + t]]);
      return { service: 'identity', sent, expected: expect('default', 'default', 401), secrets: [t] };
    },
  },
  {
    name: 'unknown region in a claim, home cookie',
    async build(home) {
      const refresh = await token('mars');
      const body = form([
        ['grant_type', 'refresh_token'],
        ['refresh_token', refresh],
      ]);
      return {
        service: 'identity',
        sent: formPost('/oauth/token', body, [['Cookie', zoneCookie(home)]]),
        expected: expect('home', 'cookie'),
        secrets: [refresh, SESSION],
      };
    },
  },
  {
    name: 'cookie and code disagree (token wins)',
    async build(home, other) {
      const code = await token(home);
      const body = form([
        ['grant_type', 'authorization_code'],
        ['code', code],
        ['redirect_uri', REDIRECT],
      ]);
      const sent = formPost('/oauth/token', body, [
        ['Authorization', CLIENT_BASIC],
        ['Cookie', zoneCookie(other)],
      ]);
      return {
        service: 'identity',
        sent,
        expected: { ...expect('home', 'code', 200, [TOKEN_DISAGREES(other, 'code', home)]), cookieDisagrees: other },
        secrets: [code, SESSION],
      };
    },
  },
  {
    name: 'cookie and bearer disagree (token wins)',
    async build(home, other) {
      const t = await token(home);
      const sent = apiRequest('GET', '/accounts/me', t, undefined, [['Cookie', zoneCookie(other)]]);
      return {
        service: 'api',
        sent,
        expected: {
          ...expect('home', 'bearer', 200, [TOKEN_DISAGREES(other, 'bearer', home)]),
          cookieDisagrees: other,
        },
        secrets: [t, SESSION],
      };
    },
  },
  {
    name: 'token POST just under the body buffer',
    async build(home) {
      const code = await token(home);
      return {
        service: 'identity',
        sent: formPost('/oauth/token', codeRequestOfSize(code, BODY_BUFFER - 1)),
        expected: expect('home', 'code'),
        secrets: [code],
      };
    },
  },
  {
    name: 'token POST just over the body buffer',
    async build(home, _other, gateway) {
      // HTTP/1.1: still read, nginx keeps a Content-Length body of up to 1.25 x client_body_buffer_size in
      // memory. HTTP/2: in a temp file, read only by njs 0.8.10+ (else the fallback, with a warn line).
      const code = await token(home);
      const size = BODY_BUFFER + HEADER_PREREAD + 1;
      const read = gateway.readsBodyFiles || keptInMemory(size, gateway.transport, false);
      const expected = read ? expect('home', 'code') : expect('default', 'default', 200, [BODY_NOT_READ]);
      return {
        service: 'identity',
        sent: formPost('/oauth/token', codeRequestOfSize(code, size)),
        expected,
        secrets: [code],
      };
    },
  },
  {
    name: 'token POST just under nginx in-memory limit',
    async build(home, _other, gateway) {
      const code = await token(home);
      const size = IN_MEMORY_LIMIT - 1;
      const read = gateway.readsBodyFiles || keptInMemory(size, gateway.transport, false);
      const expected = read ? expect('home', 'code') : expect('default', 'default', 200, [BODY_NOT_READ]);
      return {
        service: 'identity',
        sent: formPost('/oauth/token', codeRequestOfSize(code, size)),
        expected,
        secrets: [code],
      };
    },
  },
  {
    name: 'token POST over nginx in-memory limit, home cookie',
    async build(home, _other, gateway) {
      const code = await token(home);
      const sent = formPost('/oauth/token', codeRequestOfSize(code, IN_MEMORY_LIMIT + HEADER_PREREAD + 1), [
        ['Authorization', CLIENT_BASIC],
        ['Cookie', zoneCookie(home)],
      ]);
      // njs 0.7.9: the documented fallback (cookie, warn line), the body still proxied whole
      const expected = gateway.readsBodyFiles ? expect('home', 'code') : expect('home', 'cookie', 200, [BODY_NOT_READ]);
      return { service: 'identity', sent, expected, secrets: [code, SESSION] };
    },
  },
  {
    name: 'token POST over nginx in-memory limit, no cookie',
    async build(home, _other, gateway) {
      const code = await token(home);
      const sent = formPost('/oauth/token', codeRequestOfSize(code, IN_MEMORY_LIMIT + HEADER_PREREAD + 1));
      const expected = gateway.readsBodyFiles
        ? expect('home', 'code')
        : expect('default', 'default', 200, [BODY_NOT_READ]);
      return { service: 'identity', sent, expected, secrets: [code] };
    },
  },
  {
    name: 'token POST, chunked body',
    notByBrowser: 'fetch() sends no chunked body over HTTP/1.1 and streams one only with duplex: half',
    async build(home) {
      const code = await token(home);
      const sent = formPost('/oauth/token', codeRequestOfSize(code, 6000));
      sent.chunks = 4;
      return { service: 'identity', sent, expected: expect('home', 'code'), secrets: [code] };
    },
  },
  {
    name: 'token POST, chunked body over the buffer, home cookie',
    notByBrowser: 'fetch() sends no chunked body over HTTP/1.1 and streams one only with duplex: half',
    async build(home, _other, gateway) {
      // Without a Content-Length nginx reads into client_body_buffer_size exactly; the rest goes to a file.
      const code = await token(home);
      const sent = formPost('/oauth/token', codeRequestOfSize(code, BODY_BUFFER + HEADER_PREREAD + 1), [
        ['Authorization', CLIENT_BASIC],
        ['Cookie', zoneCookie(home)],
      ]);
      sent.chunks = 8;
      const expected = gateway.readsBodyFiles ? expect('home', 'code') : expect('home', 'cookie', 200, [BODY_NOT_READ]);
      return { service: 'identity', sent, expected, secrets: [code, SESSION] };
    },
  },
  {
    name: 'token POST, Expect: 100-continue',
    notByBrowser: 'Expect is a header fetch() may not set',
    async build(home) {
      // curl (and clients built on it) asks first before sending a larger body
      const code = await token(home);
      const sent = formPost('/oauth/token', codeRequestOfSize(code, 3000), [
        ['Authorization', CLIENT_BASIC],
        ['Expect', '100-continue'],
      ]);
      return { service: 'identity', sent, expected: expect('home', 'code'), secrets: [code] };
    },
  },
  {
    name: 'form POST with an empty body, home cookie',
    async build(home) {
      const sent = formPost('/oauth/revoke', Buffer.alloc(0), [
        ['Authorization', CLIENT_BASIC],
        ['Cookie', zoneCookie(home)],
      ]);
      return { service: 'identity', sent, expected: expect('home', 'cookie', 400), secrets: [SESSION] };
    },
  },
];
