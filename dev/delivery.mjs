// @ts-check
// "Delivered intact": what an upstream received (the echo upstream's record) against what the client sent,
// read back from the exact bytes of an HTTP/1.1 request. Used by every suite that sends raw requests.

/**
 * @typedef {{ method: string, target: string, headers: [string, string][], body: Buffer }} SentRequest
 *   headers: lower-case names, values without surrounding whitespace, in the order sent
 */

/**
 * @param {Buffer} b a chunked body
 * @returns {Buffer}
 */
function dechunk(b) {
  /** @type {Buffer[]} */
  const out = [];
  let i = 0;
  while (i < b.length) {
    const eol = b.indexOf('\r\n', i);
    if (eol < 0) break;
    const size = parseInt(b.subarray(i, eol).toString('latin1').split(';')[0], 16);
    if (!(size > 0)) break;
    out.push(b.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/**
 * A request as the client sent it, from its raw bytes.
 * @param {Buffer} bytes
 * @returns {SentRequest}
 */
export function parseRequest(bytes) {
  const end = bytes.indexOf('\r\n\r\n');
  const lines = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const [method, target] = lines[0].split(' ');
  /** @type {[string, string][]} */
  const headers = [];
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers.push([l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()]);
  }
  const raw = bytes.subarray(end + 4);
  const chunked = headers.some(function (h) {
    return h[0] === 'transfer-encoding' && /chunked/i.test(h[1]);
  });
  const length = headers.find(function (h) {
    return h[0] === 'content-length';
  });
  const body = chunked ? dechunk(raw) : raw.subarray(0, length ? Number(length[1]) : 0);
  return { method, target, headers, body };
}

// Headers of one connection or one hop, which nginx sets itself toward the upstream (and Expect, which it
// answers); Content-Length is compared as the body's length.
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'upgrade',
  'proxy-connection',
  'expect',
  'content-length',
];

/**
 * What differs between what the client sent and what the upstream received; undefined: nothing.
 * @param {SentRequest} sent
 * @param {import('./echo-upstream.mjs').Echo} echo
 * @returns {string | undefined}
 */
export function deliveryDifference(sent, echo) {
  if (echo.method !== sent.method) return 'method ' + sent.method + ' arrived as ' + echo.method;
  // nginx passes the request target as sent, but for an absolute-form target it passes the path.
  const target = /^https?:\/\//i.test(sent.target) ? sent.target.replace(/^https?:\/\/[^/]*/i, '') : sent.target;
  if (echo.url !== target) return 'target ' + JSON.stringify(target) + ' arrived as ' + JSON.stringify(echo.url);
  const expected = sent.headers
    .filter(function (h) {
      return HOP_BY_HOP.indexOf(h[0]) < 0;
    })
    .map(function (h) {
      return h[0] + ': ' + h[1];
    })
    .sort();
  /** @type {string[]} */
  const received = [];
  for (let i = 0; i < echo.rawHeaders.length; i += 2) {
    const name = echo.rawHeaders[i].toLowerCase();
    if (HOP_BY_HOP.indexOf(name) < 0) received.push(name + ': ' + echo.rawHeaders[i + 1].trim());
  }
  received.sort();
  if (JSON.stringify(received) !== JSON.stringify(expected)) {
    const short = function (/** @type {string} */ h) {
      return h.slice(0, 60);
    };
    const missing = expected.filter(function (h) {
      return received.indexOf(h) < 0;
    });
    const added = received.filter(function (h) {
      return expected.indexOf(h) < 0;
    });
    return (
      'headers changed on the way: missing ' +
      JSON.stringify(missing.map(short)) +
      ', added ' +
      JSON.stringify(added.map(short))
    );
  }
  const body = Buffer.from(echo.bodyBase64, 'base64');
  if (!body.equals(sent.body))
    return 'body changed on the way (' + sent.body.length + ' bytes sent, ' + body.length + ' arrived)';
  /** @type {string[]} */
  const length = [];
  for (let i = 0; i < echo.rawHeaders.length; i += 2) {
    if (echo.rawHeaders[i].toLowerCase() === 'content-length') length.push(echo.rawHeaders[i + 1]);
  }
  if (sent.body.length > 0 && JSON.stringify(length) !== JSON.stringify([String(sent.body.length)])) {
    return 'Content-Length toward the upstream ' + JSON.stringify(length) + ', body ' + sent.body.length;
  }
  return undefined;
}
