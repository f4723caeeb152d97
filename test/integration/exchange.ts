// One HTTP exchange through a gateway, with exactly the bytes a test chose (node:http, no added headers
// beyond Connection), and the slice of the gateway's logs that this exchange wrote.
import { Agent, request } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Endpoint } from '../harness/topology';

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

/** All values of a header, by case-insensitive name, from a raw [name, value, ...] list. */
export function headerValues(rawHeaders: string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === name.toLowerCase()) values.push(rawHeaders[i + 1]);
  }
  return values;
}

function byteLength(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

function readFrom(path: string, offset: number): string {
  return existsSync(path) ? readFileSync(path).subarray(offset).toString('utf8') : '';
}

/** Marks where a gateway's logs stand, to read afterwards what one exchange added. */
export function logCursor(prefix: string) {
  const errorLog = join(prefix, 'error.log');
  const accessLog = join(prefix, 'access.log');
  const errorAt = byteLength(errorLog);
  const accessAt = byteLength(accessLog);
  return {
    /** The access log lines written since the mark; waits briefly, nginx logs after the response. */
    async accessLines(): Promise<string> {
      const deadline = Date.now() + 2000;
      while (byteLength(accessLog) === accessAt && Date.now() < deadline) {
        await new Promise(function (r) { setTimeout(r, 10); });
      }
      return readFrom(accessLog, accessAt);
    },
    errorLines(): string {
      return readFrom(errorLog, errorAt);
    },
    errorTail(lines: number): string {
      return readFrom(errorLog, 0).split('\n').slice(-lines).join('\n');
    },
  };
}

/** nginx error log lines that mean something broke: error level or worse, a crashed worker, a js exception. */
export function seriousLines(log: string): string[] {
  return log.split('\n').filter(function (l) { return /\[(error|crit|alert|emerg)\]|exited on signal|js exception/.test(l); });
}
