// npm run test:e2e: builds the bundle, brings up the same platform as `npm start` (free ports, global
// entry entering at gateway eu), runs the end-to-end tests one after another and stops everything.
// Writes test-results/signed-in.png. Ends with `e2e: P passed, F failed` and a non-zero exit on failure.
// Local processes by default; `npm run test:e2e -- --containers` runs the same tests against containers.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../dev/paths.mjs';
import { demoUsers, REGIONS, startPlatform } from '../../platform/launch.mjs';
import { browserFlow, CHROMIUM } from './browser-flow.mjs';
import { E2E_REDIRECT_URI, libraryFlow } from './library-flow.mjs';

const TEST_TIMEOUT_MS = 90000;
const SCREENSHOT = join(ROOT, 'test-results', 'signed-in.png');

rmSync(SCREENSHOT, { force: true }); // only this run's screenshot may be reported

const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) {
  console.error('e2e: `npm run build` failed\ne2e: 0 passed, 1 failed');
  process.exit(1);
}

const output = []; // every line every process wrote, shown when a test fails
const platform = await startPlatform({
  enter: 'eu',
  runtime: process.argv.includes('--containers') ? 'containers' : 'local',
  extraRedirectUris: [E2E_REDIRECT_URI],
  onLine: function (name, stream, line) {
    output.push('[' + name + '] ' + line);
  },
}).catch(function (e) {
  console.error(
    'e2e: the platform did not start: ' + e.message + '\n' + output.join('\n') + '\ne2e: 0 passed, 1 failed',
  );
  process.exit(1);
});
console.log(
  'e2e: platform up (' +
    platform.mode +
    '), client ' +
    platform.client +
    ', entry ' +
    platform.entry.identity +
    ' -> gateway ' +
    platform.enter,
);

const users = demoUsers();
const tests = [];
for (const user of [users.alice, users.bob]) {
  for (const gateway of REGIONS) {
    tests.push({
      name:
        'oauth4webapi: ' +
        user.name +
        ' (home ' +
        user.home +
        ') entering at gateway ' +
        gateway +
        ': sign-in, code+PKCE, userinfo, API, refresh, revoke, all served in ' +
        user.home,
      run: function () {
        return libraryFlow(platform, user, gateway);
      },
    });
  }
}
tests.push({
  name:
    'oauth4webapi: ' +
    users.alice.name +
    ' (home eu) arriving with a stale zone=us cookie at gateway us: us serves only the name lookup, the zone transfer brings her back to eu',
  run: function () {
    return libraryFlow(platform, users.alice, 'us', { staleZone: 'us' });
  },
});
tests.push({
  name:
    'chromium: ' +
    users.bob.name +
    ' (home us) signs in through the global entry at gateway eu; every request served in us, eu holds only the name lookup',
  run: function () {
    if (!existsSync(CHROMIUM)) throw new Error(CHROMIUM + ' is missing: apt-get install chromium');
    return browserFlow(platform, users.bob, SCREENSHOT);
  },
});

let passed = 0;
let failed = 0;
try {
  for (const t of tests) {
    const mark = output.length;
    const started = Date.now();
    let timer;
    try {
      await Promise.race([
        t.run(),
        new Promise(function (_, reject) {
          timer = setTimeout(function () {
            reject(new Error('timed out after ' + TEST_TIMEOUT_MS + ' ms'));
          }, TEST_TIMEOUT_MS);
        }),
      ]);
      passed++;
      console.log('ok      ' + t.name + ' (' + (Date.now() - started) + ' ms)');
    } catch (e) {
      failed++;
      console.log(
        'FAILED  ' +
          t.name +
          '\n' +
          ((e && e.stack) || e) +
          '\n--- platform output during the test ---\n' +
          output.slice(mark).slice(-80).join('\n'),
      );
    } finally {
      clearTimeout(timer);
    }
  }
} finally {
  await platform.stop();
}
if (existsSync(SCREENSHOT)) console.log('e2e: screenshot of the signed-in client page: ' + SCREENSHOT);
console.log('e2e: ' + passed + ' passed, ' + failed + ' failed');
process.exit(failed === 0 ? 0 : 1);
