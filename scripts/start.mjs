// npm start: builds the bundle, brings up the whole two-region platform on 127.0.0.x and prints where
// everything is. Ctrl-C stops everything it started.
//   npm start                 the global entry enters at gateway eu
//   npm start -- --enter us   ... at gateway us;  --enter any: round robin over both
//   npm start -- --quiet      no per-request log lines
//   npm start -- --local      local processes even where a Docker engine runs (--containers: insist on them)
import { spawnSync } from 'node:child_process';
import { ROOT } from '../dev/paths.mjs';
import { demoUsers, startPlatform } from '../platform/launch.mjs';

function option(name) {
  const args = process.argv.slice(2);
  const i = args.findIndex(function (a) {
    return a === '--' + name || a.startsWith('--' + name + '=');
  });
  if (i < 0) return undefined;
  return args[i].includes('=') ? args[i].split('=')[1] : args[i + 1];
}
const quiet = process.argv.includes('--quiet');

const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) {
  console.error('start: `npm run build` failed');
  process.exit(1);
}

const platform = await startPlatform({
  preferPorts: true,
  enter: option('enter') || 'eu',
  runtime: process.argv.includes('--local') ? 'local' : process.argv.includes('--containers') ? 'containers' : 'auto',
  onLine: function (name, stream, line) {
    if (!quiet || stream === 'stderr') console.log(('[' + name + ']').padEnd(14) + line);
  },
}).catch(function (e) {
  console.error(
    'start: ' +
      e.message +
      (process.argv.includes('--local') ? '' : '\nstart: to run without containers: npm start -- --local'),
  );
  process.exit(1);
});

const users = Object.values(demoUsers()).map(function (u) {
  return '    ' + u.name.padEnd(8) + ' home ' + u.home + '   password ' + u.password;
});
const line = function (label, value) {
  return '  ' + label.padEnd(28) + value;
};
console.log(
  [
    '',
    'njs-region-router demo platform is up, as ' + platform.mode + '.',
    '',
    line('Open the client app:', platform.client + '/'),
    line('Global entry (identity):', platform.entry.identity + '   -> enters at gateway ' + platform.enter),
    line('Global entry (API):', platform.entry.api),
    line(
      'Gateway eu (identity, API):',
      platform.gateways.eu.identity +
        '  ' +
        platform.gateways.eu.api +
        '  (TLS + HTTP/2: ' +
        platform.gateways.eu.identityTls +
        '  ' +
        platform.gateways.eu.apiTls +
        ')',
    ),
    line(
      'Gateway us (identity, API):',
      platform.gateways.us.identity +
        '  ' +
        platform.gateways.us.api +
        '  (TLS + HTTP/2: ' +
        platform.gateways.us.identityTls +
        '  ' +
        platform.gateways.us.apiTls +
        ')',
    ),
    line('Certificate authority:', platform.caFile + '  (throw-away; your browser warns about the entry once,'),
    line('', 'or trust it: chromium --ignore-certificate-errors-spki-list=' + platform.spkiSha256 + ')'),
    line('Identity server eu, us:', platform.services['identity-eu'] + '  ' + platform.services['identity-us']),
    line('API eu, us:', platform.services['api-eu'] + '  ' + platform.services['api-us']),
    line('Global directory:', platform.services.directory),
    line('Audit records:', '<any service above>/_records'),
    '',
    '  Demo users:',
    users.join('\n'),
    '',
    'Ctrl-C stops everything.',
    '',
  ].join('\n'),
);

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log('start: ' + signal + ' received, stopping ' + platform.pids.length + ' processes');
  await platform.stop();
  console.log('start: stopped');
  process.exit(0);
}
process.on('SIGINT', function () {
  stop('SIGINT');
});
process.on('SIGTERM', function () {
  stop('SIGTERM');
});
