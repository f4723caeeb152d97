// One HTTP exchange through a gateway, with exactly the bytes a test chose (node:http, no added headers
// beyond Connection). dev/logs.mjs reads the slice of the gateway's logs that an exchange wrote.
import { Agent, request } from 'node:http';
import type { Endpoint } from '../../dev/ports.mjs';

export interface Sent {
  method: string;
  /** Path and query, as sent on the request line. */
  target: string;
  /** Header name -> value, in the order sent. */
  headers: [string, string][];
  body?: Buffer;
  /** Send the body with Transfer-Encoding: chunked, in these many pieces. */
  chunks?: number;
}

export interface Received {
  status: number;
  rawHeaders: string[];
  body: Buffer;
}

/** Sends on a fresh connection, or on `agent`'s (keepalive) connections. */
export function send(to: Endpoint, sent: Sent, agent?: Agent): Promise<Received> {
  return new Promise(function (resolve, reject) {
    const headers: Record<string, string | string[]> = {};
    for (const h of sent.headers) headers[h[0]] = h[1];
    const body = sent.body;
    if (body !== undefined && !sent.chunks) headers['Content-Length'] = String(body.length);
    if (body !== undefined && sent.chunks) headers['Transfer-Encoding'] = 'chunked';
    const req = request({
      host: to.host,
      port: to.port,
      method: sent.method,
      path: sent.target,
      headers,
      agent: agent || false,
      timeout: 20000,
    }, function (res) {
      const parts: Buffer[] = [];
      res.on('data', function (c: Buffer) { parts.push(c); });
      res.on('end', function () {
        resolve({ status: res.statusCode || 0, rawHeaders: res.rawHeaders, body: Buffer.concat(parts) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('timeout', function () { req.destroy(new Error('no answer within 20 s')); });
    const expectsContinue = sent.headers.some(function (h) { return h[0].toLowerCase() === 'expect'; });
    if (body === undefined) {
      req.end();
    } else if (expectsContinue) {
      // the body only after nginx's "100 Continue"
      req.flushHeaders();
      req.once('continue', function () { req.end(body); });
    } else if (sent.chunks) {
      // Separate writes go out as separate chunks; the gaps let nginx see several of them.
      const size = Math.ceil(body.length / sent.chunks);
      let offset = 0;
      const next = function () {
        if (offset >= body.length) { req.end(); return; }
        req.write(body.subarray(offset, offset + size));
        offset += size;
        setTimeout(next, 5);
      };
      next();
    } else {
      req.end(body);
    }
  });
}
