// The containerised two-region platform: per region one identity server and one business API (the echo
// upstream, run by node in a container), and one gateway per region (real nginx in a container) running
// the built bundle with the shipped example config. Both gateways reach both regions' upstreams, so a
// user may enter at either. Every container uses host networking and listens on 127.0.0.1 only.
import { GenericContainer, StartedTestContainer } from 'testcontainers';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE_PORTS, renderExample } from '../../dev/example.mjs';
import { BUNDLE, ROOT } from '../../dev/paths.mjs';
import { freePort, waitForPort } from '../../dev/ports.mjs';
import type { Endpoint } from '../../dev/ports.mjs';
import { configureTestcontainers } from './docker-engine.mjs';
import { ensureBaseImage } from '../../containers/base-image.mjs';
import { RUN_LABEL, gatewayPrefixStem } from './run-resources.mjs';

export const REGIONS = ['eu', 'us'] as const;
export type Region = (typeof REGIONS)[number];
export type Service = 'identity' | 'api';

const HOST = '127.0.0.1';

export type { Endpoint };

export interface GatewayInfo {
  region: Region;
  identity: Endpoint;
  api: Endpoint;
  /** nginx's prefix on this host: error.log and access.log are read from here. */
  prefix: string;
  image: string;
  /** The njs engine the image runs (`njs -v`), or 'unknown' without the njs CLI. */
  njsVersion: string;
}

/** What tests need: plain data, so vitest can hand it from globalSetup to the test files. */
export interface Topology {
  gateways: Record<Region, GatewayInfo>;
  upstreams: Record<string, Endpoint>;
  defaultRegion: string;
  baseImage: string;
  imageBuildSeconds: number;
  startSeconds: number;
}

export interface RunningTopology {
  topology: Topology;
  stop(): Promise<void>;
}

function readIfThere(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

async function containerOutput(container: StartedTestContainer): Promise<string> {
  const chunks: string[] = [];
  const stream = await container.logs();
  return new Promise(function (resolve) {
    stream.on('data', function (d: Buffer | string) { chunks.push(String(d)); });
    stream.on('end', function () { resolve(chunks.join('')); });
    setTimeout(function () { stream.destroy(); resolve(chunks.join('')); }, 1000);
  });
}

/** The configured default region, read from the shipped region table (what routing falls back to). */
export function shippedDefaultRegion(): string {
  const table = readFileSync(join(ROOT, 'nginx', 'regions.conf'), 'utf8');
  const m = /^js_var \$region_router_default_region (\S+);/m.exec(table);
  if (!m) throw new Error('nginx/regions.conf declares no $region_router_default_region');
  return m[1];
}

// Where images keep the njs module: Debian's packages and nginx.org's (official images) use the first;
// /etc/nginx/modules is the official images' link to it.
const NJS_MODULE_PATHS = ['/usr/lib/nginx/modules/ngx_http_js_module.so', '/etc/nginx/modules/ngx_http_js_module.so',
  '/usr/local/nginx/modules/ngx_http_js_module.so'];

/** The njs module's path inside an image, found by looking (the gateway runs with its own prefix). */
function njsModulePath(image: string): string {
  const probe = spawnSync('docker', ['run', '--rm', '--network', 'host', '--entrypoint', 'sh', image, '-c',
    'for p in "$@"; do [ -e "$p" ] && { echo "$p"; exit 0; }; done; exit 1', 'probe'].concat(NJS_MODULE_PATHS), { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error('image ' + image + ' has no njs module at ' + NJS_MODULE_PATHS.join(', ') + ' (' + (probe.stderr || '').trim() + ')');
  }
  return probe.stdout.trim();
}

export async function startTopology(opts: { runId: string; log?: (line: string) => void }): Promise<RunningTopology> {
  const log = opts.log || function () {};
  configureTestcontainers();
  if (!existsSync(BUNDLE)) throw new Error('no bundle at ' + BUNDLE + ': run `npm run build` first');
  const base = ensureBaseImage({ log });
  const gatewayImage = process.env.NGINX_IMAGE || base.tag;
  const modulePath = njsModulePath(gatewayImage);
  const started = Date.now();
  const labels = { [RUN_LABEL]: opts.runId };
  const containers: StartedTestContainer[] = [];
  const prefixes: string[] = [];

  const stop = async function () {
    await Promise.all(containers.map(function (c) {
      return c.stop({ timeout: 3 }).catch(function () { /* already gone */ });
    }));
    for (const p of prefixes) rmSync(p, { recursive: true, force: true });
  };

  try {
    const upstreams: Record<string, Endpoint> = {};
    const ports: Record<number, number> = {};
    for (const [key, examplePort] of Object.entries(EXAMPLE_PORTS.upstreams)) {
      upstreams[key] = { host: HOST, port: await freePort(HOST) };
      ports[examplePort] = upstreams[key].port;
    }
    const dev = join(ROOT, 'dev');
    const upstreamStarts = Object.keys(upstreams).map(async function (key) {
      const parts = key.split('/');
      const u = upstreams[key];
      const c = await new GenericContainer(base.tag)
        .withName('region-router-' + opts.runId + '-' + parts[0] + '-' + parts[1])
        .withNetworkMode('host')
        .withLabels(labels)
        .withBindMounts([{ source: dev, target: dev, mode: 'ro' }])
        .withEntrypoint(['node'])
        .withCommand([join(dev, 'echo-upstream.mjs'), u.host, String(u.port), parts[0], parts[1]])
        .start();
      containers.push(c);
      await waitForPort(u.host, u.port, 15000).catch(async function (e) {
        throw new Error('upstream ' + key + ': ' + e.message + '\n' + await containerOutput(c));
      });
    });

    const gateways = {} as Record<Region, GatewayInfo>;
    const gatewayStarts = REGIONS.map(async function (region) {
      const identity = { host: HOST, port: await freePort(HOST) };
      const api = { host: HOST, port: await freePort(HOST) };
      const own: Record<number, number> = Object.assign({}, ports);
      own[EXAMPLE_PORTS.identity] = identity.port;
      own[EXAMPLE_PORTS.api] = api.port;
      const prefix = mkdtempSync(join(tmpdir(), gatewayPrefixStem(opts.runId) + region + '-'));
      prefixes.push(prefix);
      // The shipped example, run by the container's nginx itself: host paths are mounted at the same paths,
      // and the workers (the container's root) write the host-created private prefix.
      const conf = renderExample({ ports: own, errorLog: 'info', njsModule: modulePath, asRoot: true, daemonOff: true });
      writeFileSync(join(prefix, 'nginx.conf'), conf);
      const c = await new GenericContainer(gatewayImage)
        .withName('region-router-' + opts.runId + '-gateway-' + region)
        .withNetworkMode('host')
        .withLabels(labels)
        .withBindMounts([
          { source: join(ROOT, 'dist'), target: join(ROOT, 'dist'), mode: 'ro' },
          { source: join(ROOT, 'nginx'), target: join(ROOT, 'nginx'), mode: 'ro' },
          { source: prefix, target: prefix, mode: 'rw' },
        ])
        .withEntrypoint(['nginx'])
        .withCommand(['-p', prefix + '/', '-e', join(prefix, 'error.log'), '-c', join(prefix, 'nginx.conf')])
        .start();
      containers.push(c);
      const deadline = Date.now() + 15000;
      try {
        for (const l of [identity, api]) await waitForPort(l.host, l.port, Math.max(0, deadline - Date.now()));
      } catch (e) {
        throw new Error('gateway ' + region + ' (' + gatewayImage + '): ' + (e as Error).message + '\n--- error.log ---\n' +
          readIfThere(join(prefix, 'error.log')) + '\n--- container output ---\n' + await containerOutput(c));
      }
      const version = await c.exec(['njs', '-v']).catch(function () { return { exitCode: 1, output: '', stdout: '', stderr: '' }; });
      const njsVersion = version.exitCode === 0 ? version.output.trim() : 'unknown';
      gateways[region] = { region, identity, api, prefix, image: gatewayImage, njsVersion };
    });

    // Wait for every start, failed or not, so that stop() below sees every container.
    const settled = await Promise.allSettled(upstreamStarts.concat(gatewayStarts));
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
    const startSeconds = (Date.now() - started) / 1000;
    log('topology: 2 gateways (' + gatewayImage + ') and 4 upstreams up in ' + startSeconds.toFixed(1) + ' s');
    return {
      topology: {
        gateways,
        upstreams,
        defaultRegion: shippedDefaultRegion(),
        baseImage: base.tag,
        imageBuildSeconds: base.seconds,
        startSeconds,
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
