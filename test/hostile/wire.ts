// Raw HTTP/1.1 over node:net: the hostile corpus sends bytes fetch refuses to send (NUL, bare CR, duplicate
// Host, obs-fold, broken chunking), so every request goes out as exactly the bytes the case built.
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Set when the connection failed or timed out before a status line arrived. */
  error?: string;
}

export interface Message {
  method: string;
  target: string;
  /** [name, value] in order; duplicates allowed. Host and Connection: close are added unless present. */
  headers?: [string, string][];
  body?: string | Buffer;
  /** false: send no Content-Length (chunked or deliberately unframed bodies). */
  contentLength?: boolean;
}

/** Serialises a message as the client would, byte for byte. */
export function serialise(m: Message, host: string): Buffer {
  const headers = (m.headers ?? []).slice();
  const has = function (n: string) {
    return headers.some(function (h) {
      return h[0].toLowerCase() === n;
    });
  };
  if (!has('host')) headers.unshift(['Host', host]);
  if (!has('connection')) headers.push(['Connection', 'close']);
  const body =
    m.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(m.body) ? m.body : Buffer.from(m.body, 'latin1');
  if (m.contentLength !== false && m.body !== undefined && !has('content-length'))
    headers.push(['Content-Length', String(body.length)]);
  const head =
    m.method +
    ' ' +
    m.target +
    ' HTTP/1.1\r\n' +
    headers
      .map(function (h) {
        return h[0] + ': ' + h[1] + '\r\n';
      })
      .join('') +
    '\r\n';
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/** Sends raw bytes and reads the whole answer (the request asks for Connection: close). */
export function exchange(port: number, bytes: Buffer, timeoutMs = 15000): Promise<RawResponse> {
  return new Promise(function (resolve) {
    const chunks: Buffer[] = [];
    const sock = connect(port, '127.0.0.1');
    let done = false;
    const finish = function (error?: string) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(parse(Buffer.concat(chunks), error));
    };
    const timer = setTimeout(function () {
      finish('timeout after ' + timeoutMs + ' ms');
    }, timeoutMs);
    sock.on('data', function (c: Buffer) {
      chunks.push(c);
    });
    sock.on('end', function () {
      finish();
    });
    sock.on('close', function () {
      finish();
    });
    // nginx may answer (400, 413) and close before it read everything we sent: that is an answer, not an error
    sock.on('error', function (e) {
      finish(chunks.length ? undefined : String(e));
    });
    sock.write(bytes);
  });
}

function parse(raw: Buffer, error?: string): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0)
    return { status: 0, headers: {}, body: Buffer.alloc(0), error: error ?? 'no response (' + raw.length + ' bytes)' };
  const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  return { status: m ? Number(m[1]) : 0, headers, body, error: m ? undefined : 'bad status line: ' + lines[0] };
}

function dechunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  while (i < b.length) {
    const eol = b.indexOf('\r\n', i);
    if (eol < 0) break;
    const size = parseInt(b.subarray(i, eol).toString('latin1'), 16);
    if (!(size > 0)) break;
    out.push(b.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** Runs tasks with bounded concurrency, keeping results in order. */
export async function inParallel<T, R>(
  items: T[],
  width: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async function () {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}
