// npm run test:integration: the containerised conformance matrix.
// Makes sure a Docker engine and the harness image exist, runs the vitest suite in test/integration
// (its global setup starts the containers), prints the matrix and ends with exactly one line:
//     conformance: P/N cases routed to the home region
// Exits non-zero if any case or check failed, or too few cases ran. Containers are removed on every
// way out, ctrl-C included.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startVitest } from 'vitest/node';
import { BUNDLE, ROOT } from '../../dev/paths.mjs';
import { configureTestcontainers, ensureDockerEngine } from '../harness/docker-engine.mjs';
import { ensureBaseImage } from '../../containers/base-image.mjs';
import { sweepRun } from '../harness/run-resources.mjs';
import { matrixReporter, renderFailures, renderMatrix, closingFigures } from './matrix-reporter.mjs';

const MIN_CASES = 60;

const runId = randomBytes(4).toString('hex');
process.env.REGION_ROUTER_RUN_ID = runId;
configureTestcontainers();

let engine;

async function cleanUp() {
  sweepRun(runId);
  if (engine) await engine.stop();
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, function () {
    console.error('\nintegration: ' + signal + ': removing this run\'s containers');
    cleanUp().finally(function () { process.exit(130); });
  });
}

function log(line) { console.log(line); }

async function main() {
  if (!existsSync(BUNDLE)) {
    console.error('integration: no bundle at dist/region-router.js: run `npm run build` first');
    return 1;
  }
  const t0 = Date.now();
  engine = await ensureDockerEngine({ log });
  log('docker: engine ' + engine.version + (engine.started ? ' (started by this run)' : ''));
  const image = ensureBaseImage({ log });
  log('image: ' + image.tag + (image.built ? ' built in ' + image.seconds.toFixed(1) + ' s' : ' reused'));

  const reporter = matrixReporter();
  const t1 = Date.now();
  const vitest = await startVitest('test', [], {
    root: ROOT,
    config: join(ROOT, 'test', 'integration', 'vitest.config.ts'),
    run: true,
    watch: false,
    reporters: [reporter],
  });
  const runSeconds = (Date.now() - t1) / 1000;
  const results = reporter.results();
  const failures = renderFailures(results);
  if (failures) console.log('\n' + failures);
  console.log('\n' + renderMatrix(results) + '\n');
  const checksPassed = results.checks.filter(function (c) { return c.state === 'passed'; }).length;
  log('other checks: ' + checksPassed + '/' + results.checks.length + ' passed');
  log('timings: image ' + (image.built ? 'built in ' + image.seconds.toFixed(1) + ' s' : 'reused') +
    ', suite (containers up, cases, teardown) ' + runSeconds.toFixed(1) + ' s, total ' + ((Date.now() - t0) / 1000).toFixed(1) + ' s');
  const figures = closingFigures(results);
  let failed = figures.passed !== figures.total || checksPassed !== results.checks.length ||
    results.unhandled.length > 0 || Boolean(process.exitCode);
  if (figures.total < MIN_CASES) {
    log('integration: only ' + figures.total + ' conformance cases ran; at least ' + MIN_CASES + ' must');
    failed = true;
  }
  void vitest;
  await cleanUp();
  console.log('conformance: ' + figures.passed + '/' + figures.total + ' cases routed to the home region');
  return failed ? 1 : 0;
}

main().then(function (code) {
  process.exit(code);
}, function (e) {
  // The harness's own errors say what to do; a stack would bury that.
  console.error('integration: ' + (e && e.message ? e.message : e));
  cleanUp().finally(function () {
    console.log('conformance: 0/0 cases routed to the home region');
    process.exit(1);
  });
});
