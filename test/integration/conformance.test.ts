// The multi-region conformance matrix: for every home region x entry gateway x message type, a request
// goes through a real nginx container (the built bundle, the shipped example config) and must reach the
// home region's upstream with method, target, headers and body intact, and its answer must come back
// unchanged. Each case also checks the routing source in the access log and the warn lines in the error
// log. A failing case's message carries the exchange and the gateway's error log.
import { describe, expect, inject, it } from 'vitest';
import { REGIONS, Region, GatewayInfo, Endpoint } from '../harness/topology';
import { MESSAGE_TYPES, Built, GatewayAbilities } from './messages';
import { Received, headerValues, logCursor, send } from './exchange';

const topology = inject('topology');

// Headers that describe one connection; nginx sets its own toward the upstream.
const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'te', 'upgrade', 'proxy-connection'];

interface Echo { region: string; service: string; method: string; url: string; rawHeaders: string[]; bodyBase64: string }

/** Case metadata read by the matrix reporter. */
export interface MatrixMeta { home: Region; entry: Region; message: string; expected: string; answered?: string; source?: string }

function versionAtLeast(version: string, wanted: string): boolean {
  const a = version.split('.').map(Number);
  const b = wanted.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((a[i] || 0) !== b[i]) return (a[i] || 0) > b[i];
  }
  return true;
}

function abilities(gateway: GatewayInfo): GatewayAbilities {
  // Without the njs CLI the image is assumed to run the oldest supported engine (0.7.9).
  return { readsBodyFiles: gateway.njsVersion !== 'unknown' && versionAtLeast(gateway.njsVersion, '0.8.10') };
}

/** What the upstream must have received: the client's headers minus hop-by-hop ones, by lower-case name. */
function forwardedHeaders(built: Built): [string, string][] {
  const out: [string, string][] = [];
  for (const h of built.sent.headers) {
    if (HOP_BY_HOP.indexOf(h[0].toLowerCase()) < 0) out.push([h[0].toLowerCase(), h[1]]);
  }
  if (built.sent.body !== undefined) out.push(['content-length', String(built.sent.body.length)]);
  return out.sort();
}

function receivedHeaders(echo: Echo): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < echo.rawHeaders.length; i += 2) {
    if (HOP_BY_HOP.indexOf(echo.rawHeaders[i].toLowerCase()) < 0) out.push([echo.rawHeaders[i].toLowerCase(), echo.rawHeaders[i + 1]]);
  }
  return out.sort();
}

function describeExchange(entry: Region, to: Endpoint, built: Built, got: Received | undefined): string {
  const body = built.sent.body;
  const lines = [
    'sent to the ' + entry + ' gateway (' + to.host + ':' + to.port + '): ' + built.sent.method + ' ' + built.sent.target.slice(0, 160),
    '  headers: ' + built.sent.headers.map(function (h) { return h[0]; }).join(', ') +
      (body === undefined ? '' : '; body ' + body.length + ' bytes' + (built.sent.chunks ? ' chunked' : '')),
  ];
  if (got !== undefined) {
    lines.push('answered: ' + got.status + ' x-upstream=' + headerValues(got.rawHeaders, 'x-upstream').join(',') +
      ' body ' + got.body.length + ' bytes: ' + got.body.toString('utf8').slice(0, 300));
  }
  return lines.join('\n');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function runCase(home: Region, other: Region, entry: Region, messageIndex: number, meta: MatrixMeta): Promise<void> {
  const gateway = topology.gateways[entry];
  const message = MESSAGE_TYPES[messageIndex];
  const built = await message.build(home, other, abilities(gateway));
  const region = built.expected.region === 'home' ? home : topology.defaultRegion;
  meta.expected = region;
  if (built.expected.status !== 200) built.sent.headers.push(['X-Echo-Status', String(built.expected.status)]);
  const to = built.service === 'identity' ? gateway.identity : gateway.api;
  const upstream = topology.upstreams[region + '/' + built.service];

  const cursor = logCursor(gateway.prefix);
  let got: Received | undefined;
  try {
    got = await send(to, built.sent);
    const answered = headerValues(got.rawHeaders, 'x-upstream');
    meta.answered = answered.join(',') || 'none (' + got.status + ')';

    // The upstream that answered, and its answer unchanged: status, body, Set-Cookie.
    expect(answered, 'x-upstream: which upstream answered').toEqual([region + '/' + built.service]);
    expect(got.status, 'status the upstream answered with').toBe(built.expected.status);
    expect(headerValues(got.rawHeaders, 'set-cookie'), 'Set-Cookie from the upstream').toEqual(['upstream_seen=' + region + '; Path=/; HttpOnly']);
    expect(headerValues(got.rawHeaders, 'content-length'), 'Content-Length of the answer').toEqual([String(got.body.length)]);
    const text = got.body.toString('utf8');
    const echo = JSON.parse(text) as Echo;
    // The echo writes JSON.stringify of its record: any changed, lost or added byte breaks this identity.
    expect(JSON.stringify(echo), 'answer body, byte for byte as the upstream wrote it').toBe(text);

    // What the upstream received: method, path and query, every header, and the body bytes.
    expect(echo.region + '/' + echo.service, 'upstream that received the request').toBe(region + '/' + built.service);
    expect(echo.method, 'method').toBe(built.sent.method);
    expect(echo.url, 'path and query').toBe(built.sent.target);
    expect(headerValues(echo.rawHeaders, 'cookie'), 'Cookie header').toEqual(headerValues(built.sent.headers.flat(), 'cookie'));
    expect(headerValues(echo.rawHeaders, 'authorization'), 'Authorization header').toEqual(headerValues(built.sent.headers.flat(), 'authorization'));
    expect(receivedHeaders(echo), 'all headers (hop-by-hop aside)').toEqual(forwardedHeaders(built));
    expect(headerValues(echo.rawHeaders, 'transfer-encoding'), 'no Transfer-Encoding toward the upstream').toEqual([]);
    const bodySent = built.sent.body || Buffer.alloc(0);
    const bodyReceived = Buffer.from(echo.bodyBase64, 'base64');
    expect(bodyReceived.length, 'body length').toBe(bodySent.length);
    expect(bodyReceived.equals(bodySent), 'body bytes identical').toBe(true);

    // The routing decision as nginx logged it.
    const access = await cursor.accessLines();
    meta.source = (/ source=(\S+)/.exec(access) || ['', '?'])[1];
    expect(access, 'access log line: region, source and upstream').toMatch(new RegExp(
      '"' + built.sent.method + ' ' + escapeRegExp(built.sent.target.split('?')[0]) + ' HTTP/1.1" ' + built.expected.status +
      ' \\d+ region=' + region + ' source=' + built.expected.source + ' upstream=' + upstream.host + ':' + upstream.port + ' '));
    const errors = cursor.errorLines();
    expect(errors.split('\n').filter(function (l) { return /\[(error|crit|alert|emerg)\]|js exception/.test(l); }), 'error log lines at error level or worse').toEqual([]);
    const warns = errors.split('\n').filter(function (l) { return /\[warn\].*region_router:/.test(l); });
    expect(warns.length, 'region_router warn lines: ' + JSON.stringify(warns)).toBe(built.expected.warns.length);
    for (const w of built.expected.warns) expect(warns.join('\n'), 'warn line').toMatch(w);
    for (const secret of built.secrets) {
      expect(errors.indexOf(secret.slice(-40)) < 0 && access.indexOf(secret.slice(-40)) < 0, 'a token or cookie value appears in nginx logs').toBe(true);
    }
  } catch (e) {
    if (meta.source === undefined) meta.source = (/ source=(\S+)/.exec(await cursor.accessLines()) || ['', '?'])[1];
    const err = e as Error;
    err.message = err.message + '\n\n' + describeExchange(entry, to, built, got) +
      '\n--- nginx error log of the ' + entry + ' gateway, this request ---\n' + (cursor.errorLines() || '(nothing)') +
      '\n--- its last lines ---\n' + cursor.errorTail(15);
    throw err;
  }
}

for (const home of REGIONS) {
  const other = REGIONS.filter(function (r) { return r !== home; })[0];
  for (const entry of REGIONS) {
    describe('home ' + home + ', entering at the ' + entry + ' gateway', function () {
      MESSAGE_TYPES.forEach(function (message, index) {
        it(message.name, async function (context) {
          const meta: MatrixMeta = { home, entry, message: message.name, expected: '?' };
          (context.task.meta as Record<string, unknown>).matrix = meta;
          await runCase(home, other, entry, index, meta);
        });
      });
    });
  }
}

describe('the gateways after the matrix', function () {
  for (const entry of REGIONS) {
    it('the ' + entry + ' gateway logged no error and no crash', function () {
      const log = logCursor(topology.gateways[entry].prefix).errorTail(100000);
      expect(log.split('\n').filter(function (l) { return /\[(error|crit|alert|emerg)\]|exited on signal|js exception/.test(l); })).toEqual([]);
    });
  }
});
