// The system under test for the hostile and fault suites: Debian's nginx with the built bundle and the
// shipped example config, four echo upstreams (eu/us x identity/api) and a sentinel that no request may
// reach. Written against test/support so it can later point at the containerised harness (issue #3).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer, Server, Socket } from 'node:net';
import { join } from 'node:path';
import { startEchoUpstream } from '../support/echo-upstream.mjs';
import { freePort, renderExample, RunningNginx, startNginx } from '../support/nginx';

export type Upstream = Awaited<ReturnType<typeof startEchoUpstream>>;

export interface Gateway {
  nginx: RunningNginx;
  identityPort: number;
  apiPort: number;
  /** Keyed 'eu/identity', 'us/api', ... */
  upstreams: Record<string, Upstream>;
  /** The example's port of each upstream (8101, ...) -> the port it runs on here. */
  ports: Record<number, number>;
  sentinel: Upstream;
  /** Takes a region's upstream down (its port then refuses connections). */
  stopUpstream(key: string): Promise<void>;
  /** `nginx -s reload`: SIGHUP to the master. */
  reload(): void;
  stop(): Promise<void>;
}

export const UPSTREAMS: [number, string, string][] = [
  [8101, 'eu', 'identity'], [8102, 'us', 'identity'], [8111, 'eu', 'api'], [8112, 'us', 'api'],
];

export interface GatewayOptions {
  /** Rewrites the rendered example config (e.g. shorter timeouts, a failover opt-in) before nginx starts. */
  edit?: (conf: string) => string;
  /**
   * Upstreams that are broken from the start: 'refuse' (nothing listens), 'hang' (accepts, never answers),
   * 'blackhole' (never accepts: connecting times out).
   */
  faulty?: Record<string, 'refuse' | 'hang' | 'blackhole'>;
}

/**
 * A port where connecting times out, as with a host that is gone: a child process listens with a backlog
 * of 1 and blocks its event loop so it never accepts; once the kernel's accept queue is full, further
 * SYNs are dropped.
 */
async function startBlackholeUpstream(): Promise<{ port: number; close(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-e',
    "require('net').createServer().listen({ port: " + port + ", host: '127.0.0.1', backlog: 1 }, function () {"
    + " console.log('ready'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120000); });"], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>(function (resolve, reject) {
    child.stdout!.once('data', function () { resolve(); });
    child.once('exit', function (code) { reject(new Error('blackhole upstream exited: ' + code)); });
  });
  const fillers: Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', function () { /* closed with the child */ });
    fillers.push(s);
  }
  await new Promise(function (r) { setTimeout(r, 200); });
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
  const server: Server = createServer(function (s) { sockets.push(s); s.on('error', function () { /* nginx gave up */ }); });
  return new Promise(function (resolve) {
    server.listen(0, '127.0.0.1', function () {
      resolve({
        port: (server.address() as { port: number }).port,
        close: function () {
          for (const s of sockets) s.destroy();
          return new Promise(function (r) { server.close(function () { r(); }); });
        },
      });
    });
  });
}

export async function startGateway(opts: GatewayOptions = {}): Promise<Gateway> {
  const upstreams: Record<string, Upstream> = {};
  const ports: Record<number, number> = {};
  const hanging: { close(): Promise<void> }[] = [];
  for (const u of UPSTREAMS) {
    const key = u[1] + '/' + u[2];
    const fault = opts.faulty?.[key];
    if (fault === 'refuse') {
      ports[u[0]] = await freePort();
    } else if (fault === 'hang' || fault === 'blackhole') {
      const h = fault === 'hang' ? await startHangingUpstream() : await startBlackholeUpstream();
      hanging.push(h);
      ports[u[0]] = h.port;
    } else {
      const echo = await startEchoUpstream({ region: u[1], service: u[2] });
      upstreams[key] = echo;
      ports[u[0]] = echo.port;
    }
  }
  const sentinel = await startEchoUpstream({ region: 'sentinel', service: 'not-configured' });
  ports[8080] = await freePort();
  ports[8090] = await freePort();
  let conf = renderExample(ports);
  if (opts.edit) conf = opts.edit(conf);
  const nginx = await startNginx(conf, [{ host: '127.0.0.1', port: ports[8080] }, { host: '127.0.0.1', port: ports[8090] }]);
  return {
    nginx, identityPort: ports[8080], apiPort: ports[8090], upstreams, ports, sentinel,
    stopUpstream: async function (key) {
      const u = upstreams[key];
      delete upstreams[key];
      await u.close();
    },
    reload: function () {
      process.kill(Number(readFileSync(join(nginx.prefix, 'nginx.pid'), 'utf8').trim()), 'SIGHUP');
    },
    stop: async function () {
      await nginx.stop();
      for (const k of Object.keys(upstreams)) await upstreams[k].close();
      for (const h of hanging) await h.close();
      await sentinel.close();
    },
  };
}

/** Lines of the error log that say a worker or njs broke. */
export function crashLines(errorLog: string): string[] {
  return errorLog.split('\n').filter(function (l) { return /exited on signal|\[alert\]|\[emerg\]|js exception|js error/i.test(l); });
}
