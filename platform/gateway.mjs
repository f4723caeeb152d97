// The gateways: Debian's nginx with the built bundle and the shipped snippets. A regional gateway's
// configuration IS nginx/example/nginx.conf, with its addresses replaced, so the demo runs what users
// copy. The global entry is a plain nginx (no njs) in front of the regional gateways; it stands in for
// geo-DNS or anycast, which would pick a gateway near the user, whatever the user's home region.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

/** text.replace, failing loudly when the example no longer has what is being replaced. */
function replaceIn(text, pattern, replacement, what) {
  const found = typeof pattern === 'string' ? text.includes(pattern) : new RegExp(pattern.source).test(text);
  if (!found) throw new Error('nginx/example/nginx.conf no longer has ' + what + '; update platform/gateway.mjs');
  return text.replace(pattern, replacement);
}

/**
 * nginx/example/nginx.conf with its includes and js_path made absolute, so it runs from any prefix.
 * `root` is the repository (callers bundled elsewhere, as the hostile runner is, pass their own).
 */
export function exampleConfig(root = ROOT) {
  let conf = readFileSync(join(root, 'nginx', 'example', 'nginx.conf'), 'utf8');
  conf = replaceIn(conf, /include \.\.\/([\w.-]+);/g, 'include ' + join(root, 'nginx') + '/$1;', 'relative includes');
  return replaceIn(conf, /js_path \.\.\/\.\.\/dist;/, 'js_path ' + join(root, 'dist') + ';', 'js_path ../../dist');
}

/**
 * A regional gateway: the shipped example with absolute includes, its two listeners on `host`, its
 * upstreams at the given addresses, and `proxy_bind host` so services can tell which gateway a
 * request entered at.
 * upstreams: { idsvr_eu: '127.0.0.11:8101', idsvr_us: ..., api_eu: ..., api_us: ... }
 */
export function renderRegionalGateway({ host, identityPort, apiPort, upstreams }) {
  let conf = exampleConfig();
  conf = replaceIn(conf, /listen 127\.0\.0\.1:8080;/, 'listen ' + host + ':' + identityPort + ';', 'the identity listener :8080');
  conf = replaceIn(conf, /listen 127\.0\.0\.1:8090;/, 'listen ' + host + ':' + apiPort + ';', 'the API listener :8090');
  for (const [name, address] of Object.entries(upstreams)) {
    conf = replaceIn(conf, new RegExp('(upstream ' + name + '\\s*\\{\\s*server )127\\.0\\.0\\.1:\\d+;'), '$1' + address + ';', 'upstream ' + name);
  }
  // nginx can't open /dev/stdout when it is a socket (as node's pipes are): log to a file, which startNginx follows.
  conf = replaceIn(conf, 'access_log /dev/stdout region_router;', 'access_log access.log region_router;\n    proxy_bind ' + host + ';', 'the access_log line');
  return preamble() + conf;
}

/** The global URL: forwards to the gateway(s) named by `enter`, untouched. */
export function renderGlobalEntry({ host, identityPort, apiPort, gateways }) {
  const servers = function (port) {
    return gateways.map(function (g) { return 'server ' + g.host + ':' + g[port] + ';'; }).join(' ');
  };
  const proxy = 'proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $http_host;';
  return preamble() + [
    'worker_processes 1;',
    'pid nginx.pid;',
    'error_log stderr warn;',
    'events {}',
    'http {',
    '    client_body_temp_path body; proxy_temp_path proxy; fastcgi_temp_path fastcgi; uwsgi_temp_path uwsgi; scgi_temp_path scgi;',
    '    log_format entry \'$remote_addr "$request_method $uri" $status gateway=$upstream_addr\';',
    '    access_log access.log entry;',
    '    upstream entry_identity { ' + servers('identityPort') + ' keepalive 16; }',
    '    upstream entry_api { ' + servers('apiPort') + ' keepalive 16; }',
    '    server { listen ' + host + ':' + identityPort + '; location / { ' + proxy + ' proxy_pass http://entry_identity; } }',
    '    server { listen ' + host + ':' + apiPort + '; location / { ' + proxy + ' proxy_pass http://entry_api; } }',
    '}',
    '',
  ].join('\n');
}

function preamble() {
  // Run in the foreground under the launcher; as root, workers must be able to read the prefix we made.
  return 'daemon off;\n' + (process.getuid && process.getuid() === 0 ? 'user root;\n' : '');
}

function tryListen(host, port) {
  return new Promise(function (res) {
    const s = createServer();
    s.once('error', function () { res(undefined); });
    s.listen(port, host, function () {
      const got = s.address().port;
      s.close(function () { res(got); });
    });
  });
}

// Every host:port handed out by this process. A port is released before its user binds it, so the
// kernel may offer it again to the next caller: two listeners of one config then collide.
const handedOut = new Set();

/** A port to listen on at `host`: `preferred` when it is free, else one the kernel picks; never one given out before. */
export async function freePort(host = '127.0.0.1', preferred = 0) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await tryListen(host, attempt === 0 ? preferred : 0);
    if (port !== undefined && !handedOut.has(host + ':' + port)) {
      handedOut.add(host + ':' + port);
      return port;
    }
  }
  throw new Error('no free port on ' + host);
}

export function waitForPort(host, port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise(function (res, rej) {
    const attempt = function () {
      const sock = connect(port, host);
      sock.once('connect', function () { sock.destroy(); res(); });
      sock.once('error', function () {
        sock.destroy();
        if (Date.now() > deadline) rej(new Error('nothing listens on ' + host + ':' + port));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

/**
 * Starts nginx in its own throw-away prefix, after `nginx -t`. Every output line and every line of
 * access.log in the prefix is passed to onLine. Resolves once all listeners accept connections.
 */
export async function startNginx(name, conf, listeners, onLine, runtime) {
  const prefix = mkdtempSync(join(tmpdir(), 'njs-region-router-' + name + '-'));
  const confPath = join(prefix, 'nginx.conf');
  writeFileSync(confPath, conf);
  const nginx = function (extra, as) {
    return runtime.command(as, ['nginx'].concat(extra, ['-p', prefix + '/', '-e', 'stderr', '-c', confPath]), { writable: [prefix] });
  };
  const check = nginx(['-t', '-q'], name + '-check');
  const test = spawnSync(check.cmd, check.args, { encoding: 'utf8', env: check.env });
  if (test.status !== 0) {
    rmSync(prefix, { recursive: true, force: true });
    throw new Error(name + ': nginx -t failed:\n' + test.stderr + (test.error ? test.error.message : ''));
  }
  const start = nginx([], name);
  const proc = spawn(start.cmd, start.args, { stdio: ['ignore', 'pipe', 'pipe'], env: start.env });
  forwardLines(proc, onLine);
  const follow = followFile(join(prefix, 'access.log'), function (line) { onLine('access', line); });
  const exited = new Promise(function (res) { proc.once('exit', res); });
  try {
    await Promise.race([
      Promise.all(listeners.map(function (l) { return waitForPort(l.host, l.port, 10000); })),
      exited.then(function (code) { throw new Error(name + ': nginx exited (' + code + ') while starting'); }),
    ]);
  } catch (e) {
    proc.kill('SIGKILL');
    runtime.remove(name);
    follow.stop();
    rmSync(prefix, { recursive: true, force: true });
    throw e;
  }
  return {
    name,
    pid: proc.pid,
    stop: async function () {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGQUIT');
        const force = setTimeout(function () { proc.kill('SIGKILL'); }, 5000);
        await exited;
        clearTimeout(force);
      }
      runtime.remove(name);
      follow.stop();
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

/** Calls onLine(stream, line) for each line a child process writes. */
export function forwardLines(proc, onLine) {
  for (const stream of ['stdout', 'stderr']) {
    let rest = '';
    proc[stream].setEncoding('utf8');
    proc[stream].on('data', function (chunk) {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop();
      for (const line of lines) onLine(stream, line);
    });
  }
}

/** Polls a growing file and calls onLine for each complete new line. */
function followFile(path, onLine) {
  let offset = 0;
  let rest = '';
  const read = function () {
    let size;
    try {
      size = statSync(path).size;
    } catch {
      return;
    }
    if (size <= offset) return;
    const fd = openSync(path, 'r');
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    closeSync(fd);
    offset = size;
    const lines = (rest + buf.toString('utf8')).split('\n');
    rest = lines.pop();
    for (const line of lines) onLine(line);
  };
  const timer = setInterval(read, 100);
  return { stop: function () { clearInterval(timer); read(); } };
}
