// The global entry: a plain nginx (no njs) in front of the regional gateways. It stands in for geo-DNS or
// anycast, which would pick a gateway near the user, whatever the user's home region. The regional
// gateways run nginx/example/nginx.conf itself (dev/example.mjs renderExample).
import { userLine } from '../dev/example.mjs';

/** The global URL: forwards to the gateway(s) named by `enter`, untouched. */
export function renderGlobalEntry({ host, identityPort, apiPort, gateways }) {
  const servers = function (port) {
    return gateways.map(function (g) { return 'server ' + g.host + ':' + g[port] + ';'; }).join(' ');
  };
  const proxy = 'proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $http_host;';
  return userLine() + [
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
