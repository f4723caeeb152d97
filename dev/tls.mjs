// @ts-check
// TLS for test gateways: a throw-away CA and one server certificate (made with the openssl CLI, valid two
// days, for every 127.0.0.x address the suites use and the example's host names), and the nginx lines that
// add a TLS listener with HTTP/2 to a server {}, in the syntax the nginx version takes.
import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { versionAtLeast } from './runtimes.mjs';

/**
 * @typedef {object} Certificates
 * @property {string} dir where the files are
 * @property {string} caFile the CA certificate (PEM): what clients trust
 * @property {string} ca its PEM text, for node's `ca` option
 * @property {string} certificate the server certificate (PEM), for ssl_certificate
 * @property {string} key its private key (PEM), for ssl_certificate_key
 * @property {string} spkiSha256 base64 SHA-256 of the server key's SubjectPublicKeyInfo (chromium's
 *   --ignore-certificate-errors-spki-list takes it)
 */

/** The names every test certificate holds: the addresses the suites and the platform listen on. */
const SUBJECT_ALT_NAMES = [
  'IP:127.0.0.1',
  'IP:127.0.0.11',
  'IP:127.0.0.12',
  'DNS:localhost',
  'DNS:login.example.com',
  'DNS:api.example.com',
];

/** @param {string[]} args @param {string} dir */
function openssl(args, dir) {
  const run = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (run.error)
    throw new Error('openssl is needed to make test certificates (apt-get install openssl): ' + run.error.message);
  if (run.status !== 0) throw new Error('openssl ' + args.join(' ') + ' failed:\n' + run.stderr);
}

/**
 * Makes a CA and a server certificate signed by it in `dir` (an existing, private directory).
 * @param {string} dir
 * @returns {Certificates}
 */
export function makeCertificates(dir) {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=njs-region-router test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  openssl(
    ['req', ...ec, '-keyout', 'key.pem', '-out', 'server.csr', '-subj', '/CN=njs-region-router test gateway'],
    dir,
  );
  writeFileSync(
    join(dir, 'server.ext'),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=' + SUBJECT_ALT_NAMES.join(','),
      '',
    ].join('\n'),
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'cert.pem',
      '-days',
      '2',
      '-extfile',
      'server.ext',
    ],
    dir,
  );
  const certificate = join(dir, 'cert.pem');
  const spki = new X509Certificate(readFileSync(certificate)).publicKey.export({ type: 'spki', format: 'der' });
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    certificate,
    key: join(dir, 'key.pem'),
    spkiSha256: createHash('sha256').update(spki).digest('base64'),
  };
}

/**
 * The lines that make a server {} also listen with TLS and HTTP/2 at `at` (TCP), and with HTTP/3 on the
 * same port (UDP) when `quic`. nginx before 1.25.1 knows only the listen parameter (`listen ... ssl
 * http2;`; `http2 on;` is an unknown directive there); from 1.25.1 the parameter is deprecated (a warning
 * at every start) in favour of `http2 on;`, which applies to the whole server {}: its clear listeners then
 * also take HTTP/2 with prior knowledge (h2c) beside HTTP/1.x. HTTP/3 needs nginx's http_v3 module (Debian
 * builds it from trixie's 1.26 on; `http3` is on by default once a server has a quic listener).
 * @param {{ host: string, port: number }} at
 * @param {string} nginxVersion e.g. '1.22.1'
 * @param {Pick<Certificates, 'certificate' | 'key'>} certs
 * @param {{ quic?: boolean }} [opts]
 * @returns {string[]}
 */
export function tlsListenLines(at, nginxVersion, certs, opts = {}) {
  const address = at.host + ':' + at.port;
  const listen = versionAtLeast(nginxVersion, '1.25.1')
    ? ['listen ' + address + ' ssl;', 'http2 on;']
    : ['listen ' + address + ' ssl http2;'];
  if (opts.quic) listen.push('listen ' + address + ' quic;');
  return listen.concat(['ssl_certificate ' + certs.certificate + ';', 'ssl_certificate_key ' + certs.key + ';']);
}

/** The host's own nginx version (`nginx -v`), for configs the local runtime runs. */
export function localNginxVersion() {
  const run = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  const m = /nginx\/(\d+\.\d+\.\d+)/.exec((run.stderr || '') + (run.stdout || ''));
  if (!m) throw new Error('nginx -v did not say its version: ' + (run.error ? run.error.message : run.stderr));
  return m[1];
}
