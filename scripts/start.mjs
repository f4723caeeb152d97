// npm start: builds the bundle, starts the example gateways (nginx/example/nginx.conf) with echo
// upstreams for each region's identity server and API, all on 127.0.0.1, and prints how to try it.
// Ctrl-C stops everything it started.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEchoUpstream } from '../test/support/echo-upstream.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const build = spawnSync('node', [join(root, 'build', 'build.mjs')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const upstreams = [];
for (const [port, region, service] of [[8101, 'eu', 'identity'], [8102, 'us', 'identity'], [8111, 'eu', 'api'], [8112, 'us', 'api']]) {
  upstreams.push(await startEchoUpstream({ port, region, service }));
}
const prefix = join(root, '.run');
mkdirSync(prefix, { recursive: true });
const nginx = spawn('nginx', ['-p', prefix + '/', '-e', 'stderr', '-g', 'daemon off;', '-c', join(root, 'nginx', 'example', 'nginx.conf')], { stdio: 'inherit' });
nginx.on('exit', function (code) {
  console.error('nginx exited (' + code + ')');
  stop(1);
});

console.log(`
njs-region-router example: local processes (nginx ${spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr.trim().split('/')[1]})
  identity gateway  http://127.0.0.1:8080   (upstreams eu :8101, us :8102)
  API gateway       http://127.0.0.1:8090   (upstreams eu :8111, us :8112)
Try:
  curl -s -b zone=us http://127.0.0.1:8080/oauth/authorize
  curl -s -d 'grant_type=authorization_code&code=<wrapped token>' http://127.0.0.1:8080/oauth/token
Ctrl-C stops everything.`);

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  if (nginx.exitCode === null) nginx.kill('SIGQUIT');
  for (const u of upstreams) await u.close();
  process.exit(code);
}
process.on('SIGINT', function () { stop(0); });
process.on('SIGTERM', function () { stop(0); });
