// What "delivered intact" means for one exchange: the expected region's upstream answered, it received
// exactly what the client sent (method, target, headers, body bytes), and its answer came back unchanged.
// One oracle serves every transport. Where HTTP/2 legitimately differs it is the same message in another
// form: the request line travels as :method/:path and Host as :authority (nginx proxies HTTP/1.1 with
// Host from :authority), header names are lower case on the wire (names are compared case-insensitively
// for HTTP/1.1 too), and a body sent without a Content-Length (chunked, or DATA frames) reaches the
// upstream with the Content-Length nginx adds once it has read the whole body. Through a browser (HTTP/3)
// the client is not ours to control: every header the message chose arrives unchanged, Host is the
// authority the browser used, the browser's own additions are not compared, cookies are compared as a set
// (the browser orders them), and the upstream's Set-Cookie is read from the browser's cookie jar.
import { expect } from 'vitest';
import { headerValues } from '../../dev/echo-upstream.mjs';
import type { Echo } from '../../dev/echo-upstream.mjs';
import type { Region } from '../harness/topology';
import type { Built } from './messages';
import type { Received } from './exchange';

// Headers that describe one connection (and Expect, which nginx answers itself); nginx sets its own
// toward the upstream.
const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'te', 'upgrade', 'proxy-connection', 'expect'];

/**
 * What the upstream must have received: the client's headers minus hop-by-hop ones, by lower-case name,
 * and a Content-Length for any body (the client's own, or the one nginx adds for chunked and HTTP/2 bodies).
 */
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
    if (HOP_BY_HOP.indexOf(echo.rawHeaders[i].toLowerCase()) < 0)
      out.push([echo.rawHeaders[i].toLowerCase(), echo.rawHeaders[i + 1]]);
  }
  return out.sort();
}

/** Cookie header values as a sorted list of name=value pairs. */
function cookiePairs(values: string[]): string[] {
  return values
    .flatMap(function (v) {
      return v.split('; ');
    })
    .sort();
}

/** A browser's exchange: the headers the message chose arrived as chosen; the browser's own are its own. */
function assertBrowserHeaders(built: Built, echo: Echo, got: Received): void {
  const browser = got.browser!;
  // nginx makes no Host header of HTTP/3's :authority; the snippets send the authority's host and port
  expect(headerValues(echo.rawHeaders, 'host'), 'Host (the authority)').toEqual([browser.authority]);
  expect(cookiePairs(headerValues(echo.rawHeaders, 'cookie')), 'Cookie pairs').toEqual(
    cookiePairs(headerValues(built.sent.headers.flat(), 'cookie')),
  );
  for (const [name, value] of forwardedHeaders(built)) {
    if (name === 'host' || name === 'cookie') continue;
    expect(headerValues(echo.rawHeaders, name), name + ' header').toEqual([value]);
  }
}

export function assertDelivered(built: Built, region: Region | string, got: Received): Echo {
  // The upstream that answered, and its answer unchanged: status, body, Set-Cookie.
  expect(headerValues(got.rawHeaders, 'x-upstream'), 'x-upstream: which upstream answered').toEqual([
    region + '/' + built.service,
  ]);
  expect(got.status, 'status the upstream answered with').toBe(built.expected.status);
  if (got.browser) {
    expect(got.browser.cookies.upstream_seen, 'Set-Cookie from the upstream, as the browser stored it').toBe(region);
  } else {
    expect(headerValues(got.rawHeaders, 'set-cookie'), 'Set-Cookie from the upstream').toEqual([
      'upstream_seen=' + region + '; Path=/; HttpOnly',
    ]);
  }
  expect(headerValues(got.rawHeaders, 'content-length'), 'Content-Length of the answer').toEqual([
    String(got.body.length),
  ]);
  const text = got.body.toString('utf8');
  const echo = JSON.parse(text) as Echo;
  // The echo writes JSON.stringify of its record: any changed, lost or added byte breaks this identity.
  expect(JSON.stringify(echo), 'answer body, byte for byte as the upstream wrote it').toBe(text);

  // What the upstream received: method, path and query, every header, and the body bytes.
  expect(echo.region + '/' + echo.service, 'upstream that received the request').toBe(region + '/' + built.service);
  expect(echo.method, 'method').toBe(built.sent.method);
  expect(echo.url, 'path and query').toBe(built.sent.target);
  const sentHeaders = built.sent.headers.flat();
  if (!got.browser)
    expect(headerValues(echo.rawHeaders, 'cookie'), 'Cookie header').toEqual(headerValues(sentHeaders, 'cookie'));
  expect(headerValues(echo.rawHeaders, 'authorization'), 'Authorization header').toEqual(
    headerValues(sentHeaders, 'authorization'),
  );
  if (got.browser) assertBrowserHeaders(built, echo, got);
  else expect(receivedHeaders(echo), 'all headers (hop-by-hop aside)').toEqual(forwardedHeaders(built));
  expect(headerValues(echo.rawHeaders, 'transfer-encoding'), 'no Transfer-Encoding toward the upstream').toEqual([]);
  const bodySent = built.sent.body || Buffer.alloc(0);
  const bodyReceived = Buffer.from(echo.bodyBase64, 'base64');
  expect(bodyReceived.length, 'body length').toBe(bodySent.length);
  expect(bodyReceived.equals(bodySent), 'body bytes identical').toBe(true);
  return echo;
}
