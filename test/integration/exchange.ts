// One HTTP exchange through a gateway, with exactly the bytes a test chose, over one of four transports:
// HTTP/1.1 in clear (node:http), HTTP/1.1 over TLS (node:https), HTTP/2 over TLS (node:http2): no headers
// are added beyond what each protocol needs (Connection on HTTP/1.1; the pseudo-headers on HTTP/2); and
// HTTP/3 through chromium (browser-transport.ts), where the browser adds its own.
// dev/logs.mjs reads the slice of the gateway's logs that an exchange wrote.
import { Agent, ClientRequest, IncomingMessage, request } from 'node:http';
import { Agent as TlsAgent, request as tlsRequest } from 'node:https';
import { ClientHttp2Session, ClientHttp2Stream, connect, IncomingHttpHeaders } from 'node:http2';
import type { Endpoint } from '../../dev/ports.mjs';
import type { GatewayInfo, Service } from '../harness/topology';
import type { BrowserClient, BrowserView } from './browser-transport';

export interface Sent {
  method: string;
  /** Path and query, as sent on the request line (HTTP/2: the :path pseudo-header). */
  target: string;
  /** Header name -> value, in the order sent. Host becomes :authority on HTTP/2. */
  headers: [string, string][];
  body?: Buffer;
  /** Send the body without a Content-Length, in these many pieces: HTTP/1.1 chunks or HTTP/2 DATA frames. */
  chunks?: number;
}

export interface Received {
  status: number;
  rawHeaders: string[];
  body: Buffer;
  /** For a request with Expect: 100-continue, whether the gateway answered "100 Continue" first. */
  continued?: boolean;
  /** Set when a browser sent it: what the browser decided (authority, cookie jar afterwards). */
  browser?: BrowserView;
}

// How long an HTTP/2 client waits for "100 Continue" before it sends the body anyway (RFC 9110 10.1.1 lets
// it; curl waits 1 s). HTTP/1.1 clients here wait for it: nginx always sends it there.
const H2_CONTINUE_WAIT_MS = 1000;

export type Transport = 'http1' | 'http1-tls' | 'h2-tls' | 'h3-quic';

export interface TransportInfo {
  id: Transport;
  /** What nginx logs as $server_protocol for it. */
  protocol: 'HTTP/1.1' | 'HTTP/2.0' | 'HTTP/3.0';
  tls: boolean;
  /** Sent by chromium (HTTP/3): only where the gateway's nginx has the http_v3 module. */
  browser?: boolean;
}

export const TRANSPORTS: TransportInfo[] = [
  { id: 'http1', protocol: 'HTTP/1.1', tls: false },
  { id: 'http1-tls', protocol: 'HTTP/1.1', tls: true },
  { id: 'h2-tls', protocol: 'HTTP/2.0', tls: true },
  { id: 'h3-quic', protocol: 'HTTP/3.0', tls: true, browser: true },
];

/** Where and how an exchange goes. */
export interface Link {
  transport: TransportInfo;
  to: Endpoint;
  /** The CA that signed the gateway's certificate (TLS transports). */
  ca: string;
}

/** The gateway's listener for a service over a transport. */
export function linkTo(gateway: GatewayInfo, service: Service, transport: TransportInfo, ca: string): Link {
  const to =
    service === 'identity'
      ? transport.tls
        ? gateway.identityTls
        : gateway.identity
      : transport.tls
        ? gateway.apiTls
        : gateway.api;
  return { transport, to, ca };
}

/** Connections reused across exchanges (keepalive agents, one HTTP/2 session), or none: a fresh one each. */
export interface Pool {
  agent?: Agent | TlsAgent;
  session?: ClientHttp2Session;
  /** The browser that sends HTTP/3 exchanges. */
  browser?: BrowserClient;
}

/** Opens an HTTP/2 session (TLS, ALPN h2) to be shared by many exchanges; close() it when done. */
export function h2Session(link: Link): Promise<ClientHttp2Session> {
  return new Promise(function (resolve, reject) {
    const session = connect('https://' + link.to.host + ':' + link.to.port, { ca: link.ca });
    session.once('connect', function () {
      session.removeListener('error', reject);
      resolve(session);
    });
    session.once('error', reject);
  });
}

function expectsContinue(sent: Sent): boolean {
  return sent.headers.some(function (h) {
    return h[0].toLowerCase() === 'expect';
  });
}

/**
 * Writes the body as the message asks: after "100 Continue" (or, on HTTP/2, after waitMs without one), in
 * separate pieces, or at once. Resolves whether "100 Continue" came.
 */
function writeBody(req: ClientRequest | ClientHttp2Stream, sent: Sent, waitMs?: number): Promise<boolean> {
  const body = sent.body;
  if (body !== undefined && expectsContinue(sent)) {
    return new Promise(function (resolve) {
      let sentBody = false;
      const go = function (continued: boolean) {
        if (sentBody) return;
        sentBody = true;
        clearTimeout(timer);
        req.end(body);
        resolve(continued);
      };
      const timer =
        waitMs === undefined
          ? undefined
          : setTimeout(function () {
              go(false);
            }, waitMs);
      req.once('continue', function () {
        go(true);
      });
    });
  }
  if (body === undefined) {
    req.end();
  } else if (sent.chunks) {
    // Separate writes go out as separate chunks (DATA frames); the gaps let nginx see several of them.
    const size = Math.ceil(body.length / sent.chunks);
    let offset = 0;
    const next = function () {
      if (offset >= body.length) {
        req.end();
        return;
      }
      req.write(body.subarray(offset, offset + size));
      offset += size;
      setTimeout(next, 5);
    };
    next();
  } else {
    req.end(body);
  }
  return Promise.resolve(false);
}

function sendHttp1(link: Link, sent: Sent, agent?: Agent | TlsAgent): Promise<Received> {
  return new Promise(function (resolve, reject) {
    const headers: Record<string, string | string[]> = {};
    for (const h of sent.headers) headers[h[0]] = h[1];
    const body = sent.body;
    if (body !== undefined && !sent.chunks) headers['Content-Length'] = String(body.length);
    if (body !== undefined && sent.chunks) headers['Transfer-Encoding'] = 'chunked';
    const options = {
      host: link.to.host,
      port: link.to.port,
      method: sent.method,
      path: sent.target,
      headers,
      agent: agent || false,
      timeout: 20000,
    };
    let continued: Promise<boolean> = Promise.resolve(false);
    const answered = function (res: IncomingMessage) {
      const parts: Buffer[] = [];
      res.on('data', function (c: Buffer) {
        parts.push(c);
      });
      res.on('end', async function () {
        const received: Received = {
          status: res.statusCode || 0,
          rawHeaders: res.rawHeaders,
          body: Buffer.concat(parts),
        };
        if (expectsContinue(sent)) received.continued = await continued;
        resolve(received);
      });
      res.on('error', reject);
    };
    const req = link.transport.tls ? tlsRequest({ ...options, ca: link.ca }, answered) : request(options, answered);
    req.on('error', reject);
    req.on('timeout', function () {
      req.destroy(new Error('no answer within 20 s'));
    });
    if (expectsContinue(sent)) req.flushHeaders();
    continued = writeBody(req, sent);
  });
}

/** An HTTP/2 answer's header block as a [name, value, ...] list, pseudo-headers left out. */
function rawHeadersOf(headers: IncomingHttpHeaders): string[] {
  const raw: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) raw.push(name, String(v));
  }
  return raw;
}

async function sendH2(link: Link, sent: Sent, shared?: ClientHttp2Session): Promise<Received> {
  const session = shared || (await h2Session(link));
  try {
    return await new Promise<Received>(function (resolve, reject) {
      // HTTP/2 carries the request line in pseudo-headers and Host as :authority; names are lower case.
      const headers: Record<string, string> = { ':method': sent.method, ':path': sent.target, ':scheme': 'https' };
      for (const h of sent.headers) {
        if (h[0].toLowerCase() === 'host') headers[':authority'] = h[1];
        else headers[h[0].toLowerCase()] = h[1];
      }
      if (sent.body !== undefined && !sent.chunks) headers['content-length'] = String(sent.body.length);
      const stream = session.request(headers, { endStream: sent.body === undefined });
      const timer = setTimeout(function () {
        stream.close();
        reject(new Error('no answer within 20 s'));
      }, 20000);
      let status = 0;
      let raw: string[] = [];
      const parts: Buffer[] = [];
      const continued = sent.body === undefined ? Promise.resolve(false) : writeBody(stream, sent, H2_CONTINUE_WAIT_MS);
      stream.on('response', function (h) {
        status = Number(h[':status']);
        raw = rawHeadersOf(h);
      });
      stream.on('data', function (c: Buffer) {
        parts.push(c);
      });
      stream.on('end', async function () {
        clearTimeout(timer);
        const received: Received = { status, rawHeaders: raw, body: Buffer.concat(parts) };
        if (expectsContinue(sent)) received.continued = await continued;
        resolve(received);
      });
      stream.on('error', function (e) {
        clearTimeout(timer);
        reject(e);
      });
    });
  } finally {
    if (!shared) session.close();
  }
}

/** Sends on a fresh connection, or on the pool's (keepalive agent, shared HTTP/2 session). */
export function send(link: Link, sent: Sent, pool: Pool = {}): Promise<Received> {
  if (link.transport.browser) {
    if (!pool.browser) throw new Error(link.transport.id + ' needs a browser (browser-transport.ts)');
    return pool.browser.send(link.to, sent);
  }
  return link.transport.id === 'h2-tls' ? sendH2(link, sent, pool.session) : sendHttp1(link, sent, pool.agent);
}
