// nginx configurations of the benchmark, one nginx process each:
// - gateway: nginx/example/nginx.conf itself (dev/example.mjs renderExample: the shipped snippets, gateway.conf
//   in both servers, the built bundle), plus two servers that do not route: static (one fixed upstream) and
//   map (nginx's own `map $cookie_zone`). Only ports, logs, pinning and the region table (--all) change.
//   With `metrics`, the same with nginx/metrics-http.conf: counting at log phase (njs 0.8+ only).
// - references: the minimal decoder (bench/reference.js) and the njs floors, in an http {} that imports
//   nothing else: on the njs engine every module imported in an http {} runs again for each request that
//   enters njs, so sharing the gateway's would charge both for the other's module.
// - lua: the same minimal decoder written for lua-nginx-module, in its own process.
// - plain: nginx without any module, the baseline for static and for memory.
// - upstream: answers at once with the region's name, so a wrong route shows in the answer.
// Every server listens on 127.0.0.1.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLE_PORTS, renderExample, userLine } from '../dev/example.mjs';
import { ROOT } from '../dev/paths.mjs';

const JS_MODULE = '/usr/lib/nginx/modules/ngx_http_js_module.so';
const LUA_MODULES = ['/usr/lib/nginx/modules/ndk_http_module.so', '/usr/lib/nginx/modules/ngx_http_lua_module.so'];

/** Region names of a table of `count` regions: the shipped eu and us, then r3, r4, ... */
export function regionNames(count) {
  const names = ['eu', 'us'];
  for (let i = 3; i <= count; i++) names.push('r' + i);
  return names;
}

/** The shipped nginx/regions.conf with its region map holding `count` regions. */
export function renderRegions(count) {
  const shipped = readFileSync(join(ROOT, 'nginx', 'regions.conf'), 'utf8');
  const entries = /( *)eu +eu;\n *us +us;\n/;
  if (!entries.test(shipped))
    throw new Error('nginx/regions.conf no longer has the "eu eu; us us;" entries the benchmark extends');
  return shipped.replace(entries, function (all, indent) {
    return regionNames(count)
      .map(function (name) {
        return indent + name + '  ' + name + ';\n';
      })
      .join('');
  });
}

/**
 * What every benchmark process has: one worker pinned to `cpu` (its CPU time is what a request costs),
 * or, for callgrind, a single process (`single`: master_process off, so the requests run in the process
 * valgrind started).
 */
function placement(opts) {
  return opts.single
    ? 'master_process off;'
    : 'worker_processes 1;\nworker_cpu_affinity ' + (opts.cpu === 0 ? '01' : '10') + ';';
}

function head(opts) {
  return (
    userLine(opts.asRoot) +
    placement(opts) +
    '\npid nginx.pid;\nerror_log error.log warn;\nevents { worker_connections 4096; }'
  );
}

// No access log (it is not what is measured); client keepalive connections never recycled during a
// round; room for an 8 KB bearer token in one header line (--all).
const HTTP_COMMON = `
    access_log off;
    keepalive_requests 10000000;
    large_client_header_buffers 4 16k;`;

const TEMP_PATHS = `
    client_body_temp_path body;
    proxy_temp_path proxy;
    fastcgi_temp_path fastcgi;
    uwsgi_temp_path uwsgi;
    scgi_temp_path scgi;`;

// What gateway.conf and api-location.conf give the gateway's servers, for the servers that don't include them.
const PROXY = `
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        client_body_buffer_size 64k;`;

/** The example's upstream blocks, for the other processes: the same keepalive settings. */
function upstreams(upstreamPorts) {
  return ['api', 'idsvr']
    .map(function (service) {
      return ['eu', 'us']
        .map(function (region) {
          return `    upstream ${service}_${region} { server 127.0.0.1:${upstreamPorts[region]}; keepalive 16; }`;
        })
        .join('\n');
    })
    .join('\n');
}

/** map of a region variable to the API upstream: us to us, anything else to eu. */
function regionMap(variable, target) {
  return `    map ${variable} ${target} {\n        us       api_us;\n        default  api_eu;\n    }`;
}

function replaceOnce(text, from, to) {
  if (!text.includes(from))
    throw new Error('nginx/example/nginx.conf no longer has ' + JSON.stringify(from) + '; update bench/configs.mjs');
  return text.replace(from, to);
}

/**
 * The gateway: the example with its ports mapped (identity, api), its upstreams on the benchmark's
 * upstream, the static and map servers added. Options: ports { identity, api, static, map },
 * upstreamPorts { eu, us }, cpu, single, asRoot, engineDirective, regions (a table of that many regions
 * instead of nginx/regions.conf, and regionsFile holding it), root (another commit's tree, its example, snippets
 * and built bundle: --baseline),
 * metrics (include nginx/metrics-http.conf: its counting access_log in place of `access_log off`, which
 * would turn it off too; it never writes a line).
 */
export function renderGateway(opts) {
  const p = opts.ports;
  const up = opts.upstreamPorts;
  const U = EXAMPLE_PORTS.upstreams;
  const ports = {
    [EXAMPLE_PORTS.identity]: p.identity,
    [EXAMPLE_PORTS.api]: p.api,
    [U['eu/identity']]: up.eu,
    [U['eu/api']]: up.eu,
    [U['us/identity']]: up.us,
    [U['us/api']]: up.us,
  };
  const names = regionNames(opts.regions || 2);
  const cookieMap =
    '    map $cookie_zone $map_upstream {\n        default  idsvr_eu;\n' +
    names
      .map(function (n) {
        return '        ' + n + '  idsvr_' + (n === 'us' ? 'us' : 'eu') + ';\n';
      })
      .join('') +
    '    }';
  return renderExample({
    ports,
    errorLog: 'warn',
    asRoot: opts.asRoot,
    root: opts.root,
    http: [
      opts.engineDirective || '',
      opts.metrics
        ? replaceOnce(
            HTTP_COMMON,
            'access_log off;',
            'include ' + join(ROOT, 'nginx', 'metrics-http.conf') + ';',
          ).trim()
        : HTTP_COMMON.trim(),
    ]
      .filter(Boolean)
      .join('\n    '),
    edit: function (conf) {
      conf = replaceOnce(conf, 'access_log access.log region_router;', '');
      conf = replaceOnce(conf, '   # after http.conf, which defines the format', '');
      conf = replaceOnce(conf, 'worker_processes 1;', placement(opts));
      if (opts.regionsFile)
        conf = replaceOnce(
          conf,
          'include ' + join(ROOT, 'nginx', 'regions.conf') + ';',
          'include ' + opts.regionsFile + ';',
        );
      const end = conf.lastIndexOf('}');
      return (
        conf.slice(0, end) +
        `
    # Not routed, for comparison: one fixed upstream (static), and nginx's own cookie routing in C (map).
${cookieMap}
    server {
        listen 127.0.0.1:${p.static};${PROXY}
        location / { proxy_pass http://api_us; }
    }
    server {
        listen 127.0.0.1:${p.map};${PROXY}
        location / { proxy_pass http://$map_upstream; }
    }
}
`
      );
    },
  });
}

/**
 * The references, own process: minimal bearer (js_set + C map), minimal form (js_content + js_var +
 * internalRedirect), and the floors: a js_set returning a constant, a js_content that only redirects.
 * Options: ports { minimalBearer, minimalForm, floorJsSet, floorJsContent }, upstreamPorts, benchDir, cpu,
 * single, asRoot, engineDirective.
 */
export function renderReferences(opts) {
  const p = opts.ports;
  return `load_module ${JS_MODULE};
${head(opts)}
http {${TEMP_PATHS}${HTTP_COMMON}
    ${opts.engineDirective || ''}
    js_path ${opts.benchDir};
    js_import reference from reference.js;
    js_set $reference_bearer_region reference.bearer;
    js_set $reference_constant_region reference.constant;
    js_var $reference_form_region;

${upstreams(opts.upstreamPorts)}
${regionMap('$reference_bearer_region', '$reference_bearer_upstream')}
${regionMap('$reference_constant_region', '$reference_constant_upstream')}
${regionMap('$reference_form_region', '$reference_form_upstream')}

    server {    # minimal bearer
        listen 127.0.0.1:${p.minimalBearer};${PROXY}
        location / { proxy_pass http://$reference_bearer_upstream; }
    }
    server {    # minimal form
        listen 127.0.0.1:${p.minimalForm};${PROXY}
        location / { js_content reference.form; }
        location @reference_proxy { proxy_pass http://$reference_form_upstream; }
    }
    server {    # floor: js_set returning a constant
        listen 127.0.0.1:${p.floorJsSet};${PROXY}
        location / { proxy_pass http://$reference_constant_upstream; }
    }
    server {    # floor: js_content that reads nothing and redirects
        listen 127.0.0.1:${p.floorJsContent};${PROXY}
        location / { js_content reference.redirect; }
        location @reference_proxy { proxy_pass http://$reference_form_upstream; }
    }
}
`;
}

// The minimal decoder in Lua: the payload is found with two plain finds and decoded by lua-resty-core's
// ngx.base64.decode_base64url (in C). Translating -_ to +/ with string.gsub for ngx.decode_base64 costs
// more than everything else here together (about 140k instructions for a 1 KB token under callgrind).
const LUA_DECODE = `
                local first = string.find(token, ".", 1, true)
                local second = string.find(token, ".", first + 1, true)
                local json = base64.decode_base64url(string.sub(token, first + 1, second - 1))
                ngx.var.lua_region = cjson.decode(json).zone`;

function luaServer(port, comment, readToken) {
  return `    server {    # ${comment}
        listen 127.0.0.1:${port};${PROXY}
        set $lua_region "";
        location / {
            access_by_lua_block {
                local cjson = require "cjson"
                local base64 = require "ngx.base64"
                ${readToken}${LUA_DECODE}
            }
            proxy_pass http://$lua_upstream;
        }
    }`;
}

/** The Lua reference, own process. Options: ports { luaBearer, luaForm }, upstreamPorts, cpu, single, asRoot. */
export function renderLua(opts) {
  const p = opts.ports;
  return `${LUA_MODULES.map(function (m) {
    return 'load_module ' + m + ';';
  }).join('\n')}
${head(opts)}
http {${TEMP_PATHS}${HTTP_COMMON}

${upstreams(opts.upstreamPorts)}
${regionMap('$lua_region', '$lua_upstream')}

${luaServer(p.luaBearer, 'Lua bearer', 'local token = ngx.var.http_authorization  -- "Bearer " has no dot')}
${luaServer(p.luaForm, 'Lua form', 'ngx.req.read_body()\n                local token = ngx.req.get_post_args().code')}
}
`;
}

/** nginx without njs. Options: ports { static }, upstreamPorts, cpu, single, asRoot. */
export function renderPlain(opts) {
  return `${head(opts)}
http {${TEMP_PATHS}${HTTP_COMMON}
${upstreams(opts.upstreamPorts)}
    server {
        listen 127.0.0.1:${opts.ports.static};${PROXY}
        location / { proxy_pass http://api_us; }
    }
}
`;
}

/** The upstreams (host nginx): answer at once, with the region's name. */
export function renderUpstream(opts) {
  return `${head(opts)}
http {${TEMP_PATHS}${HTTP_COMMON}
    client_body_buffer_size 64k;
    server { listen 127.0.0.1:${opts.ports.eu}; location / { return 200 "eu\\n"; } }
    server { listen 127.0.0.1:${opts.ports.us}; location / { return 200 "us\\n"; } }
}
`;
}
