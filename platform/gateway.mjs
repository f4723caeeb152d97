// The global entry: a plain nginx (no njs) in front of the regional gateways. It stands in for geo-DNS or
// anycast, which would send a browser to a gateway near the user, whatever the user's home region: it
// passes each TLS connection through untouched (stream {}), so the browser's TLS session and its HTTP/2
// end at the regional gateway, as they would with geo-DNS. The regional gateways run
// nginx/example/nginx.conf itself (dev/example.mjs renderExample).
import { userLine } from '../dev/example.mjs';

/**
 * The global URLs: one TLS passthrough per service, to the gateway(s) named by `enter` (round robin
 * over several).
 * @param {{ host: string, identityPort: number, apiPort: number,
 *   gateways: { host: string, identityTlsPort: number, apiTlsPort: number }[] }} options
 */
export function renderGlobalEntry({ host, identityPort, apiPort, gateways }) {
  const servers = function (port) {
    return gateways
      .map(function (g) {
        return 'server ' + g.host + ':' + g[port] + ';';
      })
      .join(' ');
  };
  return (
    userLine() +
    [
      'load_module /usr/lib/nginx/modules/ngx_stream_module.so;   # Debian: libnginx-mod-stream',
      'worker_processes 1;',
      'pid nginx.pid;',
      'error_log stderr warn;',
      'events {}',
      'stream {',
      "    log_format entry '$remote_addr TLS passed to gateway=$upstream_addr, $bytes_received bytes in, $bytes_sent out';",
      '    access_log access.log entry;',
      '    upstream entry_identity { ' + servers('identityTlsPort') + ' }',
      '    upstream entry_api { ' + servers('apiTlsPort') + ' }',
      '    server { listen ' + host + ':' + identityPort + '; proxy_pass entry_identity; }',
      '    server { listen ' + host + ':' + apiPort + '; proxy_pass entry_api; }',
      '}',
      '',
    ].join('\n')
  );
}
