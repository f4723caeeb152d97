// @ts-check
// An upstream that answers at once with what it received, as JSON: which region and service answered,
// and the method, raw request line target, raw headers and body bytes. Tests compare these with what
// the client sent to prove nothing was lost or changed on the way through the gateway.
// Standalone (containers run it by path, so it imports nothing outside node:):
//     node dev/echo-upstream.mjs <host> <port> <region> <service>
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

/**
 * The echo upstream's answer, and what it keeps in `seen` for each request.
 * @typedef {object} Echo
 * @property {string} region
 * @property {string} service
 * @property {string} method
 * @property {string} url path and query as on the request line
 * @property {string[]} rawHeaders [name, value, ...] as received
 * @property {string} bodyBase64
 */

/**
 * @typedef {object} EchoUpstream
 * @property {number} port
 * @property {string} host
 * @property {string} region
 * @property {string} service
 * @property {Echo[]} seen every request received, in order
 * @property {() => Promise<void>} close
 */

/**
 * @param {{ host?: string, port?: number, region: string, service: string }} options port 0 (default): any
 * @returns {Promise<EchoUpstream>}
 */
export function startEchoUpstream({ host = '127.0.0.1', port = 0, region, service }) {
  /** @type {Echo[]} */
  const seen = [];
  // A request without Host is answered and recorded like any other (Node 20+ would refuse it with 400):
  // a test then sees that Host was lost on the way instead of a status that hides what arrived.
  const server = createServer({ requireHostHeader: false }, function (req, res) {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', function (c) {
      chunks.push(c);
    });
    req.on('end', function () {
      const body = Buffer.concat(chunks);
      /** @type {Echo} */
      const record = {
        region,
        service,
        method: req.method || '',
        url: req.url || '',
        rawHeaders: req.rawHeaders,
        bodyBase64: body.toString('base64'),
      };
      seen.push(record);
      const json = JSON.stringify(record);
      // A test may ask for another status (an OAuth error, a redirect) to check it comes back unchanged.
      const asked = Number(req.headers['x-echo-status']);
      res.writeHead(asked >= 200 && asked <= 599 ? asked : 200, {
        'content-type': 'application/json',
        'x-upstream': region + '/' + service,
        'set-cookie': 'upstream_seen=' + region + '; Path=/; HttpOnly',
        'content-length': Buffer.byteLength(json),
      });
      res.end(req.method === 'HEAD' ? undefined : json);
    });
  });
  server.keepAliveTimeout = 65000;
  return new Promise(function (resolve, reject) {
    server.once('error', reject);
    server.listen(port, host, function () {
      resolve({
        port: /** @type {import('node:net').AddressInfo} */ (server.address()).port,
        host,
        region,
        service,
        seen,
        close: function () {
          server.closeAllConnections();
          return new Promise(function (r) {
            server.close(function () {
              r();
            });
          });
        },
      });
    });
  });
}

/**
 * All values of a header, by case-insensitive name, from a raw [name, value, ...] list.
 * @param {string[]} rawHeaders
 * @param {string} name
 * @returns {string[]}
 */
export function headerValues(rawHeaders, name) {
  /** @type {string[]} */
  const values = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === name.toLowerCase()) values.push(rawHeaders[i + 1]);
  }
  return values;
}

if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
  const [host, port, region, service] = process.argv.slice(2);
  startEchoUpstream({ host, port: Number(port), region, service }).then(function (u) {
    console.log('echo upstream ' + region + '/' + service + ' on http://' + host + ':' + u.port);
  });
}
