// Brings the whole platform up on this machine as local processes (Debian's nginx, node), all on
// 127.0.0.x, and down again. `npm start` and the e2e test both use it, so the demo is what is tested.
//
//   global entry (127.0.0.1, https)  --enter, TLS passed through-->  gateway eu (127.0.0.11) | gateway us (127.0.0.12)
//   each gateway listens with TLS + HTTP/2 (the entry's traffic) and in clear (tests that enter directly)
//   each gateway routes to the home region:  identity eu/us, API eu/us
//   identity servers ask the global directory (127.0.0.1) for a user's home region
//   the client web app (127.0.0.1) knows only the global entry
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE_PORTS, renderExample } from '../dev/example.mjs';
import { startNginx } from '../dev/nginx.mjs';
import { ROOT } from '../dev/paths.mjs';
import { freePort, waitForPort } from '../dev/ports.mjs';
import { forwardLines } from '../dev/processes.mjs';
import { imageVersions } from '../dev/runtimes.mjs';
import { localNginxVersion, makeCertificates } from '../dev/tls.mjs';
import { renderGlobalEntry } from './gateway.mjs';
import { containerRuntime, dockerUnavailable, localRuntime } from './runtime.mjs';

export const REGIONS = ['eu', 'us'];
const GLOBAL_HOST = '127.0.0.1';
const REGION_HOST = { eu: '127.0.0.11', us: '127.0.0.12' };

// The ports `npm start` prefers, so the printed URLs stay the same from run to run; any that is taken
// (and every one in tests) is replaced by a free port on the same address.
const PREFERRED = {
  entry: { identity: 8443, api: 8493 },
  gateway: { identity: 8080, api: 8090, identityTls: 8443, apiTls: 8493 },
  identity: { eu: 8101, us: 8102 },
  api: { eu: 8111, us: 8112 },
  directory: 8100,
  client: 3000,
};

/** Where everything listens. */
async function layout(preferPorts) {
  const want = function (p) {
    return preferPorts ? p : 0;
  };
  const at = async function (host, p) {
    return { host, port: await freePort(host, want(p)) };
  };
  const out = {
    directory: await at(GLOBAL_HOST, PREFERRED.directory),
    client: await at(GLOBAL_HOST, PREFERRED.client),
    entry: {
      host: GLOBAL_HOST,
      identityPort: await freePort(GLOBAL_HOST, want(PREFERRED.entry.identity)),
      apiPort: await freePort(GLOBAL_HOST, want(PREFERRED.entry.api)),
    },
    gateways: {},
    identity: {},
    api: {},
  };
  for (const r of REGIONS) {
    const host = REGION_HOST[r];
    out.gateways[r] = {
      host,
      identityPort: await freePort(host, want(PREFERRED.gateway.identity)),
      apiPort: await freePort(host, want(PREFERRED.gateway.api)),
      identityTlsPort: await freePort(host, want(PREFERRED.gateway.identityTls)),
      apiTlsPort: await freePort(host, want(PREFERRED.gateway.apiTls)),
    };
    out.identity[r] = await at(host, PREFERRED.identity[r]);
    out.api[r] = await at(host, PREFERRED.api[r]);
  }
  return out;
}

/** The demo users of every region, from platform/data: { name: { name, home, password } }. */
export function demoUsers() {
  const out = {};
  for (const r of REGIONS) {
    const data = JSON.parse(readFileSync(join(ROOT, 'platform', 'data', r + '.json'), 'utf8'));
    for (const [name, u] of Object.entries(data.users)) out[name] = { name, home: r, password: u.password };
  }
  return out;
}

const url = function (hp) {
  return 'http://' + hp.host + ':' + hp.port;
};
const gatewayUrls = function (g) {
  return {
    identity: 'http://' + g.host + ':' + g.identityPort,
    api: 'http://' + g.host + ':' + g.apiPort,
    identityTls: 'https://' + g.host + ':' + g.identityTlsPort,
    apiTls: 'https://' + g.host + ':' + g.apiTlsPort,
  };
};

/** options.env: more environment; options.readable: paths outside the repository it reads. */
function startNode(runtime, name, file, config, onLine, options = {}) {
  const c = runtime.command(name, ['node', join(ROOT, 'platform', file)], {
    env: { PLATFORM_SERVICE_CONFIG: JSON.stringify(config), ...options.env },
    readable: options.readable,
  });
  const proc = spawn(c.cmd, c.args, { stdio: ['ignore', 'pipe', 'pipe'], env: c.env });
  forwardLines(proc, function (stream, line) {
    onLine(name, stream, line);
  });
  const exited = new Promise(function (res) {
    proc.once('exit', res);
  });
  return {
    name,
    pid: proc.pid,
    ready: Promise.race([
      waitForPort(config.host, config.port, 15000),
      exited.then(function (code) {
        throw new Error(name + ' exited (' + code + ') while starting');
      }),
    ]),
    stop: async function () {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await exited;
      }
      runtime.remove(name);
    },
  };
}

/**
 * options.enter: which gateway the global entry forwards to: 'eu', 'us' or 'any' (round robin).
 * options.preferPorts: use PREFERRED where free (npm start) instead of free ports (tests).
 * options.extraRedirectUris: more redirect URIs for the demo client (the e2e library flow uses one).
 * options.runtime: 'local', 'containers', or 'auto' (containers when a Docker engine answers).
 * options.onLine(name, stream, line): every line any process writes (gateway access logs included).
 */
export async function startPlatform(options = {}) {
  const enter = options.enter || 'eu';
  if (!['eu', 'us', 'any'].includes(enter)) throw new Error('--enter must be eu, us or any, got ' + enter);
  const onLine = options.onLine || function () {};
  const say = function (line) {
    onLine('platform', 'stdout', line);
  };
  const wanted = options.runtime || 'local';
  let noDocker = wanted === 'local' ? 'local processes were asked for' : dockerUnavailable();
  if (wanted === 'containers' && noDocker) throw new Error('containers asked for, but ' + noDocker);
  let runtime = localRuntime();
  if (!noDocker) {
    try {
      runtime = await containerRuntime(say);
    } catch (e) {
      if (wanted === 'containers') throw e;
      noDocker = 'the container image could not be built: ' + e.message.split('\n')[0];
    }
  }
  const why = wanted === 'auto' && noDocker ? ', because ' + noDocker : '';
  const L = await layout(options.preferPorts === true);
  const secret = function () {
    return randomBytes(18).toString('base64url');
  };
  const entry = {
    identity: 'https://' + L.entry.host + ':' + L.entry.identityPort,
    api: 'https://' + L.entry.host + ':' + L.entry.apiPort,
  };
  // A throw-away CA and certificate for the gateways' TLS listeners; the client app trusts the CA.
  const tlsDir = mkdtempSync(join(tmpdir(), 'njs-region-router-tls-'));
  const certs = makeCertificates(tlsDir);
  const nginxVersion = runtime.image ? imageVersions(runtime.image).nginx : localNginxVersion();
  const clientUrl = url(L.client);
  const webClient = {
    id: 'demo-web',
    secret: secret(),
    grants: ['authorization_code', 'refresh_token'],
    redirectUris: [clientUrl + '/callback'].concat(options.extraRedirectUris || []),
    postLogoutRedirectUris: [clientUrl + '/'],
  };
  const apiClients = {};
  for (const r of REGIONS)
    apiClients[r] = { id: 'api-' + r, secret: secret(), grants: [], redirectUris: [], postLogoutRedirectUris: [] };

  const running = [];
  const nginxes = {}; // 'gateway-eu', 'gateway-us', 'entry' -> the running nginx
  const stopAll = async function () {
    // Entry first, services last, so nothing is left half-routed.
    for (const p of running.slice().reverse()) {
      await p.stop().catch(function (e) {
        onLine(p.name, 'stderr', 'stop failed: ' + e.message);
      });
    }
    rmSync(tlsDir, { recursive: true, force: true });
  };
  try {
    const services = [
      startNode(
        runtime,
        'directory',
        'directory.mjs',
        { ...L.directory, dataFile: join(ROOT, 'platform', 'data', 'directory.json') },
        onLine,
      ),
    ];
    for (const r of REGIONS) {
      const dataFile = join(ROOT, 'platform', 'data', r + '.json');
      services.push(
        startNode(
          runtime,
          'identity-' + r,
          'identity-server.mjs',
          {
            ...L.identity[r],
            region: r,
            dataFile,
            directoryUrl: url(L.directory),
            clients: [webClient, apiClients[r]],
          },
          onLine,
        ),
      );
      services.push(
        startNode(
          runtime,
          'api-' + r,
          'api-server.mjs',
          {
            ...L.api[r],
            region: r,
            dataFile,
            identityUrl: url(L.identity[r]),
            apiClient: apiClients[r],
          },
          onLine,
        ),
      );
    }
    services.push(
      startNode(
        runtime,
        'client',
        'client-app.mjs',
        {
          ...L.client,
          url: clientUrl,
          entry,
          entryName: 'global entry, enters at ' + (enter === 'any' ? 'any gateway' : 'gateway ' + enter),
          client: webClient,
        },
        onLine,
        { env: { NODE_EXTRA_CA_CERTS: certs.caFile }, readable: [tlsDir] },
      ),
    );
    running.push.apply(running, services);
    await Promise.all(
      services.map(function (s) {
        return s.ready;
      }),
    );

    // Every gateway reaches every region's services; proxy_bind lets a service tell which gateway a
    // request entered at.
    const upstreams = {};
    for (const r of REGIONS) {
      upstreams[EXAMPLE_PORTS.upstreams[r + '/identity']] = L.identity[r];
      upstreams[EXAMPLE_PORTS.upstreams[r + '/api']] = L.api[r];
    }
    for (const r of REGIONS) {
      const g = L.gateways[r];
      const identity = { host: g.host, port: g.identityPort };
      const api = { host: g.host, port: g.apiPort };
      const identityTls = { host: g.host, port: g.identityTlsPort };
      const apiTls = { host: g.host, port: g.apiTlsPort };
      const conf = renderExample({
        ports: { ...upstreams, [EXAMPLE_PORTS.identity]: identity, [EXAMPLE_PORTS.api]: api },
        http: 'proxy_bind ' + g.host + ';',
        tls: { listen: { [EXAMPLE_PORTS.identity]: identityTls, [EXAMPLE_PORTS.api]: apiTls }, nginxVersion, certs },
      });
      const gateway = await startNginx(conf, {
        name: 'gateway-' + r,
        listen: [identity, api, identityTls, apiTls],
        runtime,
        readable: [tlsDir],
        onLine: function (stream, line) {
          onLine('gateway-' + r, stream, line);
        },
      });
      running.push(gateway);
      nginxes['gateway-' + r] = gateway;
    }
    const entered =
      enter === 'any'
        ? REGIONS.map(function (r) {
            return L.gateways[r];
          })
        : [L.gateways[enter]];
    const entryConf = renderGlobalEntry({
      host: L.entry.host,
      identityPort: L.entry.identityPort,
      apiPort: L.entry.apiPort,
      gateways: entered,
    });
    const entryNginx = await startNginx(entryConf, {
      name: 'entry',
      listen: [
        { host: L.entry.host, port: L.entry.identityPort },
        { host: L.entry.host, port: L.entry.apiPort },
      ],
      runtime,
      onLine: function (stream, line) {
        onLine('entry', stream, line);
      },
    });
    running.push(entryNginx);
    nginxes.entry = entryNginx;
  } catch (e) {
    await stopAll();
    throw e;
  }

  const gateways = {};
  const services = { directory: url(L.directory) };
  for (const r of REGIONS) {
    gateways[r] = gatewayUrls(L.gateways[r]);
    services['identity-' + r] = url(L.identity[r]);
    services['api-' + r] = url(L.api[r]);
  }
  return {
    mode: runtime.mode + why,
    /** The throw-away CA (PEM file) the gateways' certificate is signed by. */
    caFile: certs.caFile,
    /** base64 SHA-256 of the gateways' public key, for chromium's --ignore-certificate-errors-spki-list. */
    spkiSha256: certs.spkiSha256,
    /** A gateway's or the entry's access log so far ('gateway-eu', 'gateway-us', 'entry'). */
    accessLog: function (name) {
      return nginxes[name].accessLog();
    },
    enter,
    entry,
    gateways,
    gatewayHosts: REGION_HOST,
    services,
    client: clientUrl,
    webClient,
    pids: running.map(function (p) {
      return { name: p.name, pid: p.pid };
    }),
    /** What a service served and holds (its /_records), straight from the service. */
    records: async function (service) {
      const res = await fetch(services[service] + '/_records');
      return res.json();
    },
    stop: stopAll,
  };
}
