// The few HTTP pieces every demo service shares: body and cookie parsing, answers, a listening server
// and the audit record each service keeps of what it served (the e2e test reads it to prove where a
// user's requests went).
import { createServer } from 'node:http';
import { decodeJwt } from 'jose';

export function readBody(req) {
  return new Promise(function (resolve, reject) {
    const chunks = [];
    req.on('data', function (c) {
      chunks.push(c);
    });
    req.on('end', function () {
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

/** application/x-www-form-urlencoded -> plain object (last value wins). */
export function parseForm(text) {
  return Object.fromEntries(new URLSearchParams(text));
}

export function cookies(req) {
  const jar = {};
  for (const part of (req.headers.cookie || '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) jar[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return jar;
}

export function setCookie(name, value, extra = '') {
  return name + '=' + encodeURIComponent(value) + '; Path=/; HttpOnly; SameSite=Lax' + extra;
}

export function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body, null, 1);
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendHtml(res, status, html, headers = {}) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(html),
    ...headers,
  });
  res.end(html);
}

export function redirect(res, location, headers = {}) {
  res.writeHead(302, { location, 'cache-control': 'no-store', 'content-length': 0, ...headers });
  res.end();
}

export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, function (c) {
    return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
  });
}

/** A page in the demo's one look: the region's name and colour say who served it. */
export function page(title, region, body) {
  const colour = { eu: '#1f4e9c', us: '#9c2f1f' }[region] || '#333';
  return (
    '<!doctype html><html><head><meta charset="utf-8"><title>' +
    escapeHtml(title) +
    '</title>' +
    '<style>body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#222}' +
    'header{background:' +
    colour +
    ';color:#fff;padding:12px 24px}main{max-width:760px;margin:24px auto;background:#fff;padding:24px;border-radius:8px;box-shadow:0 1px 3px #0002}' +
    'input,button{font:inherit;padding:6px 10px;margin:4px 0}label{display:block;margin-top:8px}.err{color:#b00}' +
    'pre{background:#f0f0f0;padding:8px;overflow:auto;font-size:13px}table{border-collapse:collapse}td{padding:2px 12px 2px 0;vertical-align:top}</style>' +
    '</head><body><header>' +
    escapeHtml(title) +
    '</header><main>' +
    body +
    '</main></body></html>'
  );
}

/** What a wrapped token says about itself, read without verifying: enough to attribute a request. */
export function peekWrappedToken(token) {
  try {
    const claims = decodeJwt(token);
    return { zone: claims.zone, ref: claims.ref, typ: claims.typ };
  } catch {
    return undefined;
  }
}

/**
 * The audit record: one entry per request served, with the user it concerned when known and the
 * wrapped-token reference it carried. `via` is the address the request came from: each gateway binds
 * its own loopback address, so it names the gateway the request entered at.
 */
export function createAudit(region, service) {
  const entries = [];
  return {
    entries,
    add(req, event, details = {}) {
      entries.push({
        at: new Date().toISOString(),
        region,
        service,
        method: req.method,
        path: new URL(req.url, 'http://x').pathname,
        via: req.socket.remoteAddress,
        event,
        ...details,
      });
    },
  };
}

/** Listens on host:port; `handle` may be async. Errors become 500 with a log line, never a crash. */
export function listen(name, host, port, handle) {
  const server = createServer(function (req, res) {
    Promise.resolve(handle(req, res)).catch(function (e) {
      console.error(name + ': ' + req.method + ' ' + req.url + ' failed: ' + ((e && e.stack) || e));
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
      else res.end();
    });
  });
  server.keepAliveTimeout = 65000; // longer than nginx's upstream keepalive
  // Explicit, because as PID 1 in a container Node has no default handlers for these.
  for (const signal of ['SIGTERM', 'SIGINT'])
    process.once(signal, function () {
      process.exit(0);
    });
  return new Promise(function (resolve, reject) {
    server.once('error', reject);
    server.listen(port, host, function () {
      console.log(name + ' listening on http://' + host + ':' + server.address().port);
      resolve(server);
    });
  });
}

/** Config arrives from platform/launch.mjs as JSON in the environment (it holds client secrets: not in argv, which ps shows). */
export function serviceConfig() {
  return JSON.parse(process.env.PLATFORM_SERVICE_CONFIG);
}
