// @ts-check
// nginx/example/nginx.conf made runnable from a throw-away prefix, so that tests, the demo platform and
// the containerised harness all run exactly what users copy, with only addresses, paths and logs changed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.mjs';
import { tlsListenLines } from './tls.mjs';

/** The example's ports: its two listeners and each region's upstreams, keyed 'region/service'. */
export const EXAMPLE_PORTS = Object.freeze({
  identity: 8080,
  api: 8090,
  upstreams: Object.freeze({ 'eu/identity': 8101, 'us/identity': 8102, 'eu/api': 8111, 'us/api': 8112 }),
});

/**
 * @typedef {object} ExampleOptions
 * @property {Record<number, number | import('./ports.mjs').Endpoint>} ports every port of the example
 *   (EXAMPLE_PORTS) -> the port to use on 127.0.0.1, or a whole address (another 127.0.0.x host)
 * @property {string} [errorLog] a level: log to error.log in the prefix at that level (default: the
 *   example's `error_log stderr warn`)
 * @property {string} [njsModule] the njs module's path, for images that keep it elsewhere than Debian
 * @property {boolean} [asRoot] add `user root;` (default: when this process is root)
 * @property {boolean} [daemonOff] add `daemon off;`, for callers that run nginx themselves (startNginx adds it)
 * @property {string} [http] directives added inside http {}, after the access_log line
 * @property {TlsListeners} [tls] TLS listeners with HTTP/2 beside the example's clear ones
 * @property {(conf: string) => string} [edit] rewrites the rendered config last
 * @property {string} [root] the tree whose example, snippets and dist/ to use (default: this repository;
 *   the benchmark's --baseline gives another commit's)
 */

/**
 * @typedef {object} TlsListeners
 * @property {Record<number, number | import('./ports.mjs').Endpoint>} listen example listener port
 *   (EXAMPLE_PORTS.identity, .api) -> where its server {} also listens with TLS and HTTP/2
 * @property {string} nginxVersion of the nginx that runs the config: the HTTP/2 syntax depends on it
 * @property {Pick<import('./tls.mjs').Certificates, 'certificate' | 'key'>} certs
 * @property {boolean} [quic] also listen with HTTP/3 (QUIC, UDP) on the TLS listeners' ports
 */

/** @param {number | import('./ports.mjs').Endpoint} to @returns {import('./ports.mjs').Endpoint} */
function endpoint(to) {
  const at = typeof to === 'number' ? { host: '127.0.0.1', port: to } : to;
  if (!/^127\.0\.0\.\d{1,3}$/.test(at.host)) throw new Error('everything stays on 127.0.0.x, not ' + at.host);
  return at;
}

/**
 * `user root;` when nginx's workers must run as root: they read the prefix this process made (mode 0700).
 * @param {boolean} [asRoot]
 */
export function userLine(asRoot = Boolean(process.getuid && process.getuid() === 0)) {
  return asRoot ? 'user root;\n' : '';
}

/**
 * text.replace, failing loudly when the example no longer has what is being replaced.
 * @param {string} text
 * @param {string | RegExp} pattern
 * @param {string | ((match: string, ...groups: string[]) => string)} replacement
 * @param {string} what
 */
function replaceIn(text, pattern, replacement, what) {
  const found = typeof pattern === 'string' ? text.includes(pattern) : new RegExp(pattern).test(text);
  if (!found) throw new Error('nginx/example/nginx.conf no longer has ' + what + '; update dev/example.mjs');
  return typeof replacement === 'string' ? text.replace(pattern, replacement) : text.replace(pattern, replacement);
}

/**
 * The example with absolute includes and js_path (it runs from any prefix), its ports mapped, the access
 * log in access.log (nginx can't open /dev/stdout when that is a socket, as node's pipes are).
 * @param {ExampleOptions} options
 * @returns {string}
 */
export function renderExample(options) {
  const root = options.root || ROOT;
  let conf = readFileSync(join(root, 'nginx', 'example', 'nginx.conf'), 'utf8');
  conf = replaceIn(conf, /include \.\.\/([\w.-]+);/g, 'include ' + join(root, 'nginx') + '/$1;', 'relative includes');
  conf = replaceIn(conf, 'js_path ../../dist;', 'js_path ' + join(root, 'dist') + ';', 'js_path ../../dist');

  /** @type {Set<string>} */
  const mapped = new Set();
  conf = conf.replace(/127\.0\.0\.1:(\d+)/g, function (all, port) {
    const to = options.ports[Number(port)];
    if (to === undefined) throw new Error('no port given for ' + all + ' of nginx/example/nginx.conf');
    mapped.add(port);
    const at = endpoint(to);
    return at.host + ':' + at.port;
  });
  for (const port of Object.keys(options.ports)) {
    if (!mapped.has(port)) throw new Error('nginx/example/nginx.conf has no 127.0.0.1:' + port + ' to replace');
  }
  if (options.tls) {
    const tls = options.tls;
    for (const [port, to] of Object.entries(tls.listen)) {
      const clear = endpoint(options.ports[Number(port)]);
      const lines = tlsListenLines(endpoint(to), tls.nginxVersion, tls.certs, { quic: tls.quic });
      conf = replaceIn(
        conf,
        new RegExp('^( *)listen ' + clear.host.replace(/\./g, '\\.') + ':' + clear.port + ';$', 'm'),
        function (line, indent) {
          return (
            line +
            lines
              .map(function (l) {
                return '\n' + indent + l;
              })
              .join('')
          );
        },
        'a listener on 127.0.0.1:' + port,
      );
    }
  }

  if (options.errorLog)
    conf = replaceIn(
      conf,
      'error_log stderr warn;',
      'error_log error.log ' + options.errorLog + ';',
      'error_log stderr warn',
    );
  conf = replaceIn(
    conf,
    'access_log /dev/stdout region_router;',
    'access_log access.log region_router;' + (options.http ? '\n    ' + options.http : ''),
    'the access_log line',
  );
  if (options.njsModule)
    conf = replaceIn(conf, /^load_module \S+;/m, 'load_module ' + options.njsModule + ';', 'a load_module line');
  conf = (options.daemonOff ? 'daemon off;\n' : '') + userLine(options.asRoot) + conf;
  return options.edit ? options.edit(conf) : conf;
}
