// An upstream that answers at once with what it received, as JSON: which region and service answered,
// and the method, raw request line target, raw headers and body bytes. Tests compare these with what
// the client sent to prove nothing was lost or changed on the way through the gateway.
// Standalone: node echo-upstream.mjs <host> <port> <region> <service>
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

export function startEchoUpstream({ host = '127.0.0.1', port = 0, region, service }) {
  const seen = [];
  const server = createServer(function (req, res) {
    const chunks = [];
    req.on('data', function (c) { chunks.push(c); });
    req.on('end', function () {
      const body = Buffer.concat(chunks);
      const record = {
        region,
        service,
        method: req.method,
        url: req.url,
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
        port: server.address().port,
        host,
        region,
        service,
        seen,
        close: function () {
          server.closeAllConnections();
          return new Promise(function (r) { server.close(function () { r(); }); });
        },
      });
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] || '').href) {
  const [host, port, region, service] = process.argv.slice(2);
  startEchoUpstream({ host, port: Number(port), region, service }).then(function (u) {
    console.log('echo upstream ' + region + '/' + service + ' on http://' + host + ':' + u.port);
  });
}
