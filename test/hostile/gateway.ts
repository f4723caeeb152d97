// The system under test for the hostile and fault suites: one runtime's nginx (dev/runtimes.mjs: in its
// image, host network, through startNginx) with the built bundle, the shipped example config and the
// runtime's engine include; four echo upstreams (eu/us x identity/api) and a sentinel that no request may
// reach, on the host.
import { spawn } from 'node:child_process';
import { connect, createServer, Server, Socket } from 'node:net';
import { join } from 'node:path';
import { startEchoUpstream } from '../../dev/echo-upstream.mjs';
import type { EchoUpstream } from '../../dev/echo-upstream.mjs';
import { EXAMPLE_PORTS, renderExample } from '../../dev/example.mjs';
import { startNginx } from '../../dev/nginx.mjs';
import type { RunningNginx } from '../../dev/nginx.mjs';
import { metricsConf, recipeCounters, scrapeCounters } from '../../dev/metrics.mjs';
import type { Counters } from '../../dev/metrics.mjs';
import { freePort } from '../../dev/ports.mjs';
import type { Endpoint } from '../../dev/ports.mjs';
import {
  checkEngine,
  engineProbeConf,
  ensureImage,
  hasSharedDict,
  imageRuntime,
  imageVersions,
  jsEngineDirective,
} from '../../dev/runtimes.mjs';
import type { Runtime } from '../../dev/runtimes.mjs';
import { RUN_LABEL, gatewayPrefixStem } from '../harness/run-resources.mjs';

export type Upstream = EchoUpstream;

export interface Gateway {
  nginx: RunningNginx;
  /** `nginx -v` and `njs -v` of the runtime's image. */
  versions: { nginx: string; njs: string };
  identityPort: number;
  apiPort: number;
  /** Keyed 'eu/identity', 'us/api', ... */
  upstreams: Record<string, Upstream>;
  /** The example's port of each upstream (8101, ...) -> the port it runs on here. */
  ports: Record<number, number>;
  sentinel: Upstream;
  /** Where it serves /metrics, when started with `metrics` on a runtime with a shared dictionary (njs 0.8+). */
  metrics?: Endpoint;
  /** Its counters so far: /metrics, or without it the recipe of docs/configuration.md over its access log. */
  counters(): Promise<Counters>;
  /** Takes a region's upstream down (its port then refuses connections). */
  stopUpstream(key: string): Promise<void>;
  /** `nginx -s reload`: SIGHUP to the master. */
  reload(): void;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  runtime: Runtime;
  /** Names this run's containers and prefixes (test/harness/run-resources.mjs sweeps them). */
  runId: string;
  /** What the gateway is for, in its container's and prefix's name. */
  name: string;
  /** Paths outside the repository that the edited config names (edited snippet copies). */
  readable?: string[];
  /** Rewrites the rendered example config (e.g. shorter timeouts, a failover opt-in) before nginx starts. */
  edit?: (conf: string) => string;
  /**
   * Upstreams that are broken from the start: 'refuse' (nothing listens), 'hang' (accepts, never answers),
   * 'blackhole' (never accepts: connecting times out).
   */
  faulty?: Record<string, 'refuse' | 'hang' | 'blackhole'>;
  /** Include the metrics snippets where the runtime has js_shared_dict_zone (njs 0.8+). */
  metrics?: boolean;
  /** Where to serve /metrics then (default: a free port on 127.0.0.1), e.g. a port Prometheus already scrapes. */
  metricsAt?: Endpoint;
}

/**
 * A port where connecting times out, as with a host that is gone: a child process listens with a backlog
 * of 1 and blocks its event loop so it never accepts; once the kernel's accept queue is full, further
 * SYNs are dropped.
 */
async function startBlackholeUpstream(): Promise<{ port: number; close(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '-e',
      "require('net').createServer().listen({ port: " +
        port +
        ", host: '127.0.0.1', backlog: 1 }, function () {" +
        " console.log('ready'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120000); });",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>(function (resolve, reject) {
    child.stdout!.once('data', function () {
      resolve();
    });
    child.once('exit', function (code) {
      reject(new Error('blackhole upstream exited: ' + code));
    });
  });
  const fillers: Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', function () {
      /* closed with the child */
    });
    fillers.push(s);
  }
  await new Promise(function (r) {
    setTimeout(r, 200);
  });
  return {
    port,
    close: async function () {
      for (const s of fillers) s.destroy();
      child.kill('SIGKILL');
    },
  };
}

/** A server that accepts connections and never answers: an upstream that timed out. */
function startHangingUpstream(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer(function (s) {
    sockets.push(s);
    s.on('error', function () {
      /* nginx gave up */
    });
  });
  return new Promise(function (resolve) {
    server.listen(0, '127.0.0.1', function () {
      resolve({
        port: (server.address() as { port: number }).port,
        close: function () {
          for (const s of sockets) s.destroy();
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

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const image = ensureImage(opts.runtime.release);
  const upstreams: Record<string, Upstream> = {};
  const ports: Record<number, number> = {};
  const hanging: { close(): Promise<void> }[] = [];
  for (const [key, examplePort] of Object.entries(EXAMPLE_PORTS.upstreams)) {
    const [region, service] = key.split('/');
    const fault = opts.faulty?.[key];
    if (fault === 'refuse') {
      ports[examplePort] = await freePort();
    } else if (fault === 'hang' || fault === 'blackhole') {
      const h = fault === 'hang' ? await startHangingUpstream() : await startBlackholeUpstream();
      hanging.push(h);
      ports[examplePort] = h.port;
    } else {
      const echo = await startEchoUpstream({ region, service });
      upstreams[key] = echo;
      ports[examplePort] = echo.port;
    }
  }
  const sentinel = await startEchoUpstream({ region: 'sentinel', service: 'not-configured' });
  const identityPort = (ports[EXAMPLE_PORTS.identity] = await freePort());
  const apiPort = (ports[EXAMPLE_PORTS.api] = await freePort());
  const probe = { host: '127.0.0.1', port: await freePort() };
  const versions = imageVersions(image.tag);
  const metrics =
    opts.metrics && hasSharedDict(versions.njs, opts.runtime.engine)
      ? (opts.metricsAt ?? { host: '127.0.0.1', port: await freePort() })
      : undefined;
  const conf = renderExample({
    ports,
    errorLog: 'info',
    edit: opts.edit,
    http: [jsEngineDirective(opts.runtime), engineProbeConf(probe), metrics ? metricsConf(metrics) : '']
      .filter(Boolean)
      .join('\n    '),
  });
  // The prefix is named like the harness's gateway prefixes, so an interrupted run's sweep finds it.
  const name = gatewayPrefixStem(opts.runId).replace(/^region-router-/, '') + opts.name;
  const nginx = await startNginx(conf, {
    name,
    listen: [{ host: '127.0.0.1', port: identityPort }, { host: '127.0.0.1', port: apiPort }, probe].concat(
      metrics ? [metrics] : [],
    ),
    runtime: imageRuntime(image.tag, { namePrefix: 'region-router-', labels: { [RUN_LABEL]: opts.runId } }),
    readable: opts.readable,
  });
  try {
    await checkEngine(opts.runtime, probe);
  } catch (e) {
    await nginx.stop();
    throw e;
  }
  return {
    nginx,
    versions,
    identityPort,
    apiPort,
    upstreams,
    ports,
    sentinel,
    metrics,
    counters: async function () {
      return metrics ? scrapeCounters(metrics) : recipeCounters(join(nginx.prefix, 'access.log'));
    },
    stopUpstream: async function (key) {
      const u = upstreams[key];
      delete upstreams[key];
      await u.close();
    },
    reload: nginx.reload,
    stop: async function () {
      await nginx.stop();
      for (const k of Object.keys(upstreams)) await upstreams[k].close();
      for (const h of hanging) await h.close();
      await sentinel.close();
    },
  };
}
