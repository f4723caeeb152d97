// HTTP/3 through a real browser: no HTTP/3 client library runs on this Node, and Debian's curl has none,
// but Debian's chromium speaks HTTP/3 (QUIC) when told an origin does (--origin-to-force-quic-on).
// Each exchange is a fetch() from a page of the gateway's own origin, so no CORS preflight is added.
// A browser decides some headers itself: Host (the origin's authority), Cookie (from its cookie jar: the
// message's cookies are put there first), User-Agent (the context's), Content-Length, and it adds its own
// (Origin, Sec-Fetch-*, Accept-Encoding ...). Set-Cookie is hidden from scripts: what the gateway passed
// on is read from the cookie jar afterwards.
import { BrowserContext, chromium, Page } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Endpoint } from '../../dev/ports.mjs';
import type { Received, Sent } from './exchange';

const CHROMIUM = '/usr/bin/chromium';
/** The User-Agent of the browser messages of the matrix (messages.ts browserGet). */
export const BROWSER_USER_AGENT = 'Mozilla/5.0 (conformance)';

/** What the browser decided about an exchange, for the delivery check. */
export interface BrowserView {
  /** The authority it sent (as :authority), which nginx passes on as Host. */
  authority: string;
  /** Its cookie jar for the origin after the answer (Set-Cookie is not visible to the page). */
  cookies: Record<string, string>;
}

export interface BrowserClient {
  send(to: Endpoint, sent: Sent): Promise<Received & { browser: BrowserView }>;
  close(): Promise<void>;
}

/** Whether a message can be sent by fetch() as built: no interim "100 Continue" and no streamed body. */
export function browserCanSend(sent: Sent): boolean {
  return (
    !sent.chunks &&
    !sent.headers.some(function (h) {
      return h[0].toLowerCase() === 'expect';
    })
  );
}

/**
 * Starts chromium forced to HTTP/3 for `origins` (127.0.0.1:port), trusting only the gateways' key
 * (spkiSha256) beyond the usual certificates.
 */
export async function startBrowser(origins: Endpoint[], spkiSha256: string): Promise<BrowserClient> {
  const profile = mkdtempSync(join(tmpdir(), 'region-router-h3-chromium-'));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    userAgent: BROWSER_USER_AGENT,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--enable-quic',
      '--origin-to-force-quic-on=' +
        origins
          .map(function (o) {
            return o.host + ':' + o.port;
          })
          .join(','),
      '--ignore-certificate-errors-spki-list=' + spkiSha256,
    ],
  });
  const pages = new Map<string, Page>();
  const pageAt = async function (origin: string): Promise<Page> {
    const known = pages.get(origin);
    if (known) return known;
    const page = await context.newPage();
    // The page only lends its origin to fetch(): playwright answers its navigation itself, with an empty
    // page whose icon is inline, so neither reaches the gateway nor sets a cookie through it.
    const url = origin + '/h3-origin';
    await page.route(url, function (route) {
      return route.fulfill({
        status: 200,
        contentType: 'text/html',
        body: '<!doctype html><link rel="icon" href="data:,">',
      });
    });
    await page.goto(url);
    await page.unroute(url);
    pages.set(origin, page);
    return page;
  };
  return {
    async send(to, sent) {
      const origin = 'https://' + to.host + ':' + to.port;
      const page = await pageAt(origin);
      await context.clearCookies();
      const cookies: { name: string; value: string; url: string; secure: boolean }[] = [];
      const headers: Record<string, string> = {};
      for (const [name, value] of sent.headers) {
        const lower = name.toLowerCase();
        if (lower === 'cookie') {
          for (const pair of value.split('; ')) {
            const eq = pair.indexOf('=');
            cookies.push({ name: pair.slice(0, eq), value: pair.slice(eq + 1), url: origin, secure: true });
          }
        } else if (lower !== 'host' && lower !== 'user-agent') {
          headers[name] = value;
        }
      }
      if (cookies.length) await context.addCookies(cookies);
      const answer = await page.evaluate(
        async function (req) {
          const body =
            req.body === null
              ? undefined
              : Uint8Array.from(atob(req.body), function (c) {
                  return c.charCodeAt(0);
                });
          // runs in the page, whose fetch has `cache` (Node's RequestInit type lacks it)
          const res = await fetch(req.url, {
            method: req.method,
            headers: req.headers,
            body,
            credentials: 'same-origin',
            cache: 'no-store',
          } as RequestInit);
          const bytes = new Uint8Array(await res.arrayBuffer());
          let binary = '';
          for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
          const raw: string[] = [];
          res.headers.forEach(function (value, name) {
            raw.push(name, value);
          });
          return { status: res.status, rawHeaders: raw, body: btoa(binary) };
        },
        {
          url: origin + sent.target,
          method: sent.method,
          headers,
          body: sent.body === undefined ? null : sent.body.toString('base64'),
        },
      );
      const jar: Record<string, string> = {};
      for (const c of await context.cookies(origin)) jar[c.name] = c.value;
      return {
        status: answer.status,
        rawHeaders: answer.rawHeaders,
        body: Buffer.from(answer.body, 'base64'),
        browser: { authority: to.host + ':' + to.port, cookies: jar },
      };
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
