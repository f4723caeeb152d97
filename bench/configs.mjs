// nginx configurations of the benchmark. The routing gateway includes the shipped snippets
// (nginx/http.conf, server.conf, unavailable.conf, identity-location.conf, api-location.conf), the built
// dist/ bundle and the shipped region table with more regions added, exactly as nginx/example/nginx.conf
// does. Every server is on 127.0.0.1.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const JS_MODULE = '/usr/lib/nginx/modules/ngx_http_js_module.so';

/** Region names of a table of `count` regions: the shipped eu and us, then r3, r4, ... */
export function regionNames(count) {
  const names = ['eu', 'us'];
  for (let i = 3; i <= count; i++) names.push('r' + i);
  return names;
}

/** The shipped nginx/regions.conf with its region map holding `count` regions. */
export function renderRegions(root, count) {
  const shipped = readFileSync(join(root, 'nginx', 'regions.conf'), 'utf8');
  const entries = /( *)eu +eu;\n *us +us;\n/;
  if (!entries.test(shipped)) throw new Error('nginx/regions.conf no longer has the "eu eu; us us;" entries the benchmark extends');
  return shipped.replace(entries, function (all, indent) {
    return regionNames(count).map(function (name) { return indent + name + '  ' + name + ';\n'; }).join('');
  });
}

function head(cpu, root) {
  return [
    root ? 'user root;' : '',
    'worker_processes 1;',
    // one worker, on its own core: its CPU time is what a request costs
    'worker_cpu_affinity ' + (cpu === 0 ? '01' : '10') + ';',
    'pid nginx.pid;',
    'error_log error.log warn;',
    'events { worker_connections 4096; }',
  ].join('\n');
}

// Shared by every gateway: no access log (it is not what is measured), keepalive connections that are
// never recycled during a round, and room for an 8 KB bearer token in one header line.
const HTTP_COMMON = `
    client_body_temp_path body;
    proxy_temp_path proxy;
    fastcgi_temp_path fastcgi;
    uwsgi_temp_path uwsgi;
    scgi_temp_path scgi;
    access_log off;
    keepalive_requests 10000000;
    large_client_header_buffers 4 16k;
`;

// The proxy settings server.conf and api-location.conf give the module's servers, for the plain ones.
const PLAIN_PROXY = `
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        client_body_buffer_size 64k;`;

function upstreams(names, upstreamPorts) {
  // us has its own upstream server so a wrong route shows in the answer; every other region answers "eu"
  return names.map(function (name) {
    const port = name === 'us' ? upstreamPorts.us : upstreamPorts.eu;
    return `    upstream up_${name} { server 127.0.0.1:${port}; keepalive 64; keepalive_requests 10000000; }`;
  }).join('\n');
}

function mapBlock(variable, target, names, extra) {
  return `    map ${variable} ${target} {\n${extra || ''}` +
    names.map(function (n) { return `        ${n}  up_${n};\n`; }).join('') + '    }';
}

/**
 * The gateway with the module. `ports`: static, map, identity, api (listen ports).
 * static and map are plain servers in the same worker, so all variants share one process.
 */
export function renderGateway(opts) {
  const root = opts.root;
  const names = regionNames(opts.regions);
  const p = opts.ports;
  return `load_module ${JS_MODULE};
${head(opts.cpu, opts.asRoot)}
http {${HTTP_COMMON}
    js_path ${opts.dist || join(root, 'dist')};
    include ${join(root, 'nginx', 'http.conf')};
    include ${opts.regionsFile};

${upstreams(names, opts.upstreamPorts)}
${mapBlock('$region_router_region', '$identity_upstream', names)}
    # nginx's own cookie routing: the C-only limit the module's cookie path is compared with
${mapBlock('$cookie_zone', '$map_upstream', names, '        default  up_eu;\n')}

    server {    # 1. static: one fixed upstream, no routing
        listen 127.0.0.1:${p.static};${PLAIN_PROXY}
        location / { proxy_pass http://up_us; }
    }
    server {    # 2. map $cookie_zone
        listen 127.0.0.1:${p.map};${PLAIN_PROXY}
        location / { proxy_pass http://$map_upstream; }
    }
    server {    # 3 and 5. the identity gateway: cookie GETs, token POSTs (example/nginx.conf)
        listen 127.0.0.1:${p.identity};
        set $region_router_gateway identity;
        include ${join(root, 'nginx', 'server.conf')};
        include ${join(root, 'nginx', 'unavailable.conf')};
        location / {
            include ${join(root, 'nginx', 'identity-location.conf')};
            proxy_pass http://$identity_upstream;
        }
        location @region_router_proxy {
            proxy_pass http://$identity_upstream;
        }
    }
    server {    # 4. the API gateway: bearer GETs (example/nginx.conf)
        listen 127.0.0.1:${p.api};
        set $region_router_gateway api;
        include ${join(root, 'nginx', 'unavailable.conf')};
        location / {
            include ${join(root, 'nginx', 'api-location.conf')};
            proxy_pass http://$identity_upstream;
        }
    }
}
`;
}

/**
 * Reference points, not the product: the cheapest njs can be on each path (bench/floor.js), and the
 * other way to read a body (mirror + mirror_request_body, so a js_set sees r.requestText).
 */
export function renderFloor(opts) {
  const p = opts.ports;
  return `load_module ${JS_MODULE};
${head(opts.cpu, opts.asRoot)}
http {${HTTP_COMMON}
    js_path ${opts.benchDir};
    js_import floor from floor.js;
    js_set $floor_upstream floor.constant;
    js_set $floor_body_upstream floor.fromBody;
    js_var $floor_region;
${upstreams(['eu', 'us'], opts.upstreamPorts)}
    server {    # js_set floor
        listen 127.0.0.1:${p.jsSet};${PLAIN_PROXY}
        location / { proxy_pass http://$floor_upstream; }
    }
    server {    # js_content + internalRedirect floor
        listen 127.0.0.1:${p.jsContent};${PLAIN_PROXY}
        location / { js_content floor.redirect; }
        location @floor_proxy { proxy_pass http://up_$floor_region; }
    }
    server {    # mirror_request_body + js_set floor
        listen 127.0.0.1:${p.mirror};${PLAIN_PROXY}
        location / {
            mirror /_region_router_sink;
            mirror_request_body on;
            proxy_pass http://$floor_body_upstream;
        }
        location = /_region_router_sink { internal; return 204; }
    }
}
`;
}

/** Plain nginx, no njs module loaded: the baseline for the worker's memory, and for static GET. */
export function renderPlain(opts) {
  return `${head(opts.cpu, opts.asRoot)}
http {${HTTP_COMMON}
${upstreams(['eu', 'us'], opts.upstreamPorts)}
    server {
        listen 127.0.0.1:${opts.ports.static};${PLAIN_PROXY}
        location / { proxy_pass http://up_us; }
    }
}
`;
}

/** The upstreams: answer at once, with the region's name. */
export function renderUpstream(opts) {
  return `${head(opts.cpu, opts.asRoot)}
http {${HTTP_COMMON}
    client_body_buffer_size 64k;
    server { listen 127.0.0.1:${opts.ports.eu}; location / { return 200 "eu\\n"; } }
    server { listen 127.0.0.1:${opts.ports.us}; location / { return 200 "us\\n"; } }
}
`;
}
