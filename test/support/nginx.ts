// Runs a real nginx (Debian's, from PATH) with the built bundle and the shipped snippets, in a
// throw-away prefix. The config is the shipped example with its ports replaced, so tests exercise
// exactly what users copy.
import { spawn, ChildProcess, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
// Plain JS, shared with the demo platform (npm start runs without a TypeScript loader).
import { exampleConfig, freePort as sharedFreePort, waitForPort } from '../../platform/gateway.mjs';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
export const BUNDLE = join(ROOT, 'dist', 'region-router.js');

/** A free TCP port (platform/gateway.mjs): never the same one twice in a process. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return sharedFreePort(host);
}

export interface RunningNginx {
  prefix: string;
  errorLog(): string;
  accessLog(): string;
  stop(): Promise<void>;
}

/** Renders nginx/example/nginx.conf with absolute includes, a private prefix and the given port map. */
export function renderExample(ports: Record<number, number>, extraHttp = ''): string {
  let conf = exampleConfig(ROOT);
  conf = conf.replace(/127\.0\.0\.1:(\d+)/g, function (all, p) {
    const to = ports[Number(p)];
    if (to === undefined) throw new Error('no port given for ' + all);
    return '127.0.0.1:' + to;
  });
  conf = conf.replace('error_log stderr warn;', 'error_log error.log info;');
  conf = conf.replace('access_log /dev/stdout region_router;', 'access_log access.log region_router;' + extraHttp);
  if (process.getuid && process.getuid() === 0) {
    conf = 'user root;\n' + conf; // workers read the prefix we created
  }
  return conf;
}

export async function startNginx(conf: string, listen: { host: string; port: number }[]): Promise<RunningNginx> {
  if (!existsSync(BUNDLE)) throw new Error('no bundle at ' + BUNDLE + ': run `npm run build` first');
  const prefix = mkdtempSync(join(tmpdir(), 'region-router-nginx-'));
  const confPath = join(prefix, 'nginx.conf');
  writeFileSync(confPath, 'daemon off;\n' + conf);
  const test = spawnSync('nginx', ['-t', '-q', '-p', prefix + '/', '-e', join(prefix, 'error.log'), '-c', confPath], { encoding: 'utf8' });
  if (test.status !== 0) {
    throw new Error('nginx -t failed:\n' + test.stderr + '\n--- config ---\n' + conf);
  }
  const proc: ChildProcess = spawn('nginx', ['-p', prefix + '/', '-e', join(prefix, 'error.log'), '-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', function (d) { stderr += d; });
  const read = function (name: string): string {
    const p = join(prefix, name);
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  };
  const deadline = Date.now() + 10000;
  try {
    for (const l of listen) await waitForPort(l.host, l.port, Math.max(0, deadline - Date.now()));
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error((e as Error).message + '\n' + stderr + read('error.log'));
  }
  return {
    prefix,
    errorLog: function () { return read('error.log'); },
    accessLog: function () { return read('access.log'); },
    stop: function () {
      return new Promise(function (res) {
        if (proc.exitCode !== null) { res(); return; }
        proc.once('exit', function () { rmSync(prefix, { recursive: true, force: true }); res(); });
        proc.kill('SIGQUIT');
        setTimeout(function () { proc.kill('SIGKILL'); }, 5000).unref();
      });
    },
  };
}
