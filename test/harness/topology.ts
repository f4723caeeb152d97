// The containerised two-region platform on one runtime (dev/runtimes.mjs): per region one identity server
// and one business API (the echo upstream, run by the image's own Node in a container) and one gateway per
// region (the runtime's nginx in a container) running the built bundle with the shipped example config,
// plus the runtime's engine include. Each gateway listens in clear and with TLS + HTTP/2 (a throw-away
// CA made for the run). Both gateways reach both regions' upstreams, so a user may enter at either. Every
// container uses host networking and listens on 127.0.0.1 only. On runtimes with metrics, and when asked,
// a real Prometheus (dev/prometheus.mjs, on the host, 127.0.0.1) scrapes each gateway's /metrics.
import { GenericContainer, StartedTestContainer } from 'testcontainers';
import { mkdtempSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureTestcontainers } from '../../dev/docker-engine.mjs';
import { EXAMPLE_PORTS, renderExample } from '../../dev/example.mjs';
import { brokenLines } from '../../dev/logs.mjs';
import { BUNDLE, ROOT } from '../../dev/paths.mjs';
import { freePort, waitForPort } from '../../dev/ports.mjs';
import type { Endpoint } from '../../dev/ports.mjs';
import { metricsConf } from '../../dev/metrics.mjs';
import { startPrometheus } from '../../dev/prometheus.mjs';
import type { RunningPrometheus } from '../../dev/prometheus.mjs';
import {
  checkEngine,
  engineProbeConf,
  ensureImage,
  hasSharedDict,
  imageVersions,
  jsEngineDirective,
} from '../../dev/runtimes.mjs';
import type { Runtime } from '../../dev/runtimes.mjs';
import { makeCertificates } from '../../dev/tls.mjs';
import { RUN_LABEL, gatewayPrefixStem } from './run-resources.mjs';

export const REGIONS = ['eu', 'us'] as const;
export type Region = (typeof REGIONS)[number];
export type Service = 'identity' | 'api';

const HOST = '127.0.0.1';

export type { Endpoint };

export interface GatewayInfo {
  region: Region;
  /** Clear HTTP/1.1 listeners. */
  identity: Endpoint;
  api: Endpoint;
  /** The same servers' TLS listeners (HTTP/1.1 and HTTP/2 by ALPN). */
  identityTls: Endpoint;
  apiTls: Endpoint;
  /** nginx's prefix on this host: error.log and access.log are read from here. */
  prefix: string;
  image: string;
  /** `njs -v` and `nginx -v` in the image. */
  njsVersion: string;
  nginxVersion: string;
  /** Whether the TLS listeners also take HTTP/3 (QUIC on the same ports): nginx has the http_v3 module. */
  http3: boolean;
  /** The engine the gateway's nginx reported running (njs.engine): 'njs' or 'QuickJS'. */
  engine: string;
  /** Where it serves /metrics (nginx/metrics.conf), on runtimes with a shared dictionary (njs 0.8+). */
  metrics?: Endpoint;
  /** The lines at level warn or worse that nginx wrote while it started: about the configuration itself. */
  startupWarnings: string[];
}

/** The Prometheus scraping the gateways' /metrics (dev/prometheus.mjs), or why there is none. */
export interface PrometheusInfo {
  /** Its HTTP API (prometheusApi(url)); undefined when it could not start. */
  url?: string;
  version?: string;
  /** Why it did not start (not installed, ...): the metrics check reports it. */
  error?: string;
  /** Each gateway's target name (its `target` label): the region. */
  targets: Region[];
}

/** What tests need: plain data, so vitest can hand it from globalSetup to the test files. */
export interface Topology {
  runtime: Runtime;
  gateways: Record<Region, GatewayInfo>;
  upstreams: Record<string, Endpoint>;
  defaultRegion: string;
  /** The throw-away CA (PEM) that signed the gateways' certificate. */
  ca: string;
  /** base64 SHA-256 of the gateways' public key, for chromium's --ignore-certificate-errors-spki-list. */
  spkiSha256: string;
  image: string;
  imageBuildSeconds: number;
  startSeconds: number;
  /** Where `prometheus` was asked for and the gateways serve /metrics. */
  prometheus?: PrometheusInfo;
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
    stream.on('data', function (d: Buffer | string) {
      chunks.push(String(d));
    });
    stream.on('end', function () {
      resolve(chunks.join(''));
    });
    setTimeout(function () {
      stream.destroy();
      resolve(chunks.join(''));
    }, 1000);
  });
}

/** The configured default region, read from the shipped region table (what routing falls back to). */
export function shippedDefaultRegion(): string {
  const table = readFileSync(join(ROOT, 'nginx', 'regions.conf'), 'utf8');
  const m = /^js_var \$region_router_default_region (\S+);/m.exec(table);
  if (!m) throw new Error('nginx/regions.conf declares no $region_router_default_region');
  return m[1];
}

export async function startTopology(opts: {
  runId: string;
  runtime: Runtime;
  log?: (line: string) => void;
  /** Start a Prometheus scraping the gateways' /metrics, on runtimes that have them (njs 0.8+). */
  prometheus?: boolean;
}): Promise<RunningTopology> {
  const log = opts.log || function () {};
  const runtime = opts.runtime;
  configureTestcontainers();
  if (!existsSync(BUNDLE)) throw new Error('no bundle at ' + BUNDLE + ': run `npm run build` first');
  const image = ensureImage(runtime.release, { log });
  const versions = imageVersions(image.tag);
  const started = Date.now();
  const labels = { [RUN_LABEL]: opts.runId };
  const containers: StartedTestContainer[] = [];
  const prefixes: string[] = [];
  let prometheus: RunningPrometheus | undefined;

  const stop = async function () {
    if (prometheus) await prometheus.stop();
    await Promise.all(
      containers.map(function (c) {
        return c.stop({ timeout: 3 }).catch(function () {
          /* already gone */
        });
      }),
    );
    for (const p of prefixes) rmSync(p, { recursive: true, force: true });
  };

  try {
    // The metrics listeners where the runtime has js_shared_dict_zone; on 0.7.9 the access log gives the
    // figures. Known before anything else starts, so that Prometheus starts first: it applies its first
    // targets only 5 s after it starts, and most of that passes while the rest comes up.
    const metricsAt = {} as Record<Region, Endpoint | undefined>;
    for (const region of REGIONS)
      metricsAt[region] = hasSharedDict(versions.njs, runtime.engine)
        ? { host: HOST, port: await freePort(HOST) }
        : undefined;
    let prometheusInfo: PrometheusInfo | undefined;
    if (opts.prometheus && metricsAt.eu && metricsAt.us) {
      prometheusInfo = { targets: REGIONS.slice() };
      try {
        prometheus = await startPrometheus({
          targets: { eu: metricsAt.eu, us: metricsAt.us },
          dirPrefix: gatewayPrefixStem(opts.runId) + 'prometheus-',
        });
        prometheusInfo.url = prometheus.url;
        prometheusInfo.version = prometheus.version;
      } catch (e) {
        // Reported by the metrics check, which then fails; the cases still run.
        prometheusInfo.error = (e as Error).message;
      }
    }

    // The run's certificates, in a directory named like the gateway prefixes, so sweepRun removes it too.
    const tlsDir = mkdtempSync(join(tmpdir(), gatewayPrefixStem(opts.runId) + 'tls-'));
    prefixes.push(tlsDir);
    const certs = makeCertificates(tlsDir);

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
      const c = await new GenericContainer(image.tag)
        .withName('region-router-' + opts.runId + '-' + parts[0] + '-' + parts[1])
        .withNetworkMode('host')
        .withLabels(labels)
        .withBindMounts([{ source: dev, target: dev, mode: 'ro' }])
        .withEntrypoint(['node'])
        .withCommand([join(dev, 'echo-upstream.mjs'), u.host, String(u.port), parts[0], parts[1]])
        .start();
      containers.push(c);
      await waitForPort(u.host, u.port, 15000).catch(async function (e) {
        throw new Error('upstream ' + key + ': ' + e.message + '\n' + (await containerOutput(c)));
      });
    });

    const gateways = {} as Record<Region, GatewayInfo>;
    const gatewayStarts = REGIONS.map(async function (region) {
      const identity = { host: HOST, port: await freePort(HOST) };
      const api = { host: HOST, port: await freePort(HOST) };
      const identityTls = { host: HOST, port: await freePort(HOST) };
      const apiTls = { host: HOST, port: await freePort(HOST) };
      const probe = { host: HOST, port: await freePort(HOST) };
      const metrics = metricsAt[region];
      const own: Record<number, number> = Object.assign({}, ports);
      own[EXAMPLE_PORTS.identity] = identity.port;
      own[EXAMPLE_PORTS.api] = api.port;
      const prefix = mkdtempSync(join(tmpdir(), gatewayPrefixStem(opts.runId) + region + '-'));
      prefixes.push(prefix);
      // The shipped example, run by the container's nginx itself: host paths are mounted at the same paths,
      // and the workers (the container's root) write the host-created private prefix. Added: the engine
      // include, the engine probe's own server, and a TLS listener in each gateway server {}.
      const conf = renderExample({
        ports: own,
        errorLog: 'info',
        asRoot: true,
        daemonOff: true,
        http: [jsEngineDirective(runtime), engineProbeConf(probe), metrics ? metricsConf(metrics) : '']
          .filter(Boolean)
          .join('\n    '),
        tls: {
          listen: { [EXAMPLE_PORTS.identity]: identityTls, [EXAMPLE_PORTS.api]: apiTls },
          nginxVersion: versions.nginx,
          certs,
          quic: versions.http3,
        },
      });
      writeFileSync(join(prefix, 'nginx.conf'), conf);
      const c = await new GenericContainer(image.tag)
        .withName('region-router-' + opts.runId + '-gateway-' + region)
        .withNetworkMode('host')
        .withLabels(labels)
        .withBindMounts([
          { source: join(ROOT, 'dist'), target: join(ROOT, 'dist'), mode: 'ro' },
          { source: join(ROOT, 'nginx'), target: join(ROOT, 'nginx'), mode: 'ro' },
          { source: join(ROOT, 'dev'), target: join(ROOT, 'dev'), mode: 'ro' },
          { source: tlsDir, target: tlsDir, mode: 'ro' },
          { source: prefix, target: prefix, mode: 'rw' },
        ])
        .withEntrypoint(['nginx'])
        .withCommand(['-p', prefix + '/', '-e', join(prefix, 'error.log'), '-c', join(prefix, 'nginx.conf')])
        .start();
      containers.push(c);
      const deadline = Date.now() + 15000;
      try {
        for (const l of [identity, api, identityTls, apiTls, probe].concat(metrics ? [metrics] : []))
          await waitForPort(l.host, l.port, Math.max(0, deadline - Date.now()));
      } catch (e) {
        throw new Error(
          'gateway ' +
            region +
            ' (' +
            runtime.id +
            ', ' +
            image.tag +
            '): ' +
            (e as Error).message +
            '\n--- error.log ---\n' +
            readIfThere(join(prefix, 'error.log')) +
            '\n--- container output ---\n' +
            (await containerOutput(c)),
        );
      }
      // Before any request: what nginx said about the configuration (its error.log, and the container's output
      // for anything written before that log was open).
      const startupWarnings = brokenLines(
        readIfThere(join(prefix, 'error.log')) + '\n' + (await containerOutput(c)),
        'warn',
      );
      const engine = await checkEngine(runtime, probe);
      gateways[region] = {
        region,
        identity,
        api,
        identityTls,
        apiTls,
        prefix,
        image: image.tag,
        njsVersion: versions.njs,
        nginxVersion: versions.nginx,
        http3: versions.http3,
        engine,
        metrics,
        startupWarnings,
      };
    });

    // Wait for every start, failed or not, so that stop() below sees every container.
    const settled = await Promise.allSettled(upstreamStarts.concat(gatewayStarts));
    for (const s of settled) if (s.status === 'rejected') throw s.reason;
    const startSeconds = (Date.now() - started) / 1000;
    log(
      'topology [' +
        runtime.id +
        ']: 2 gateways (nginx ' +
        versions.nginx +
        ', njs ' +
        versions.njs +
        ', engine ' +
        gateways.eu.engine +
        ') and 4 upstreams up in ' +
        startSeconds.toFixed(1) +
        ' s' +
        (prometheus
          ? ', Prometheus ' + prometheus.version + ' at ' + prometheus.url + ' scraping their /metrics'
          : prometheusInfo
            ? ', no Prometheus: ' + prometheusInfo.error
            : ''),
    );
    return {
      topology: {
        runtime,
        gateways,
        upstreams,
        defaultRegion: shippedDefaultRegion(),
        ca: certs.ca,
        spkiSha256: certs.spkiSha256,
        image: image.tag,
        imageBuildSeconds: image.seconds,
        startSeconds,
        prometheus: prometheusInfo,
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
