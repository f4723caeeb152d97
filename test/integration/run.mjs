// npm run test:integration [-- --runtime ID]: the containerised conformance matrix, on each runtime of
// dev/runtimes.mjs (all four without --runtime; --runtime may be repeated or comma-separated).
// Makes sure a Docker engine and the runtimes' images exist, runs the vitest suite in test/integration once
// per runtime (its global setup starts that runtime's containers), prints each runtime's matrix and its
// closing line, and ends with the overall one:
//     prometheus [forky-qjs]: scraped 2 gateways, N series equal to ... (runtimes with metrics: njs 0.8+)
//     conformance [forky-qjs]: P/N cases routed to the home region      (one per runtime)
//     conformance: P/N cases routed to the home region                  (all runtimes)
// Exits non-zero if any case or check failed, or too few cases ran. Containers are removed on every way
// out, ctrl-C included.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startVitest } from 'vitest/node';
import { configureTestcontainers, ensureDockerEngine } from '../../dev/docker-engine.mjs';
import { BUNDLE, ROOT } from '../../dev/paths.mjs';
import { ensureImage, runtimesFromArgs } from '../../dev/runtimes.mjs';
import { containerRun } from '../harness/run-resources.mjs';
import { matrixReporter, renderFailures, renderMatrix, closingFigures } from './matrix-reporter.mjs';

// 30 message types x 2 homes x 2 entry gateways x 3 transports, per runtime
const MIN_CASES = 300;

const run = containerRun('integration');
process.env.REGION_ROUTER_RUN_ID = run.runId;
configureTestcontainers();

function log(line) {
  console.log(line);
}

/** Runs the suite on one runtime; returns its figures and whether everything passed. */
async function runOn(runtime) {
  const t0 = Date.now();
  const image = ensureImage(runtime.release, { log });
  log(
    'image [' +
      runtime.id +
      ']: ' +
      image.tag +
      (image.built ? ' built in ' + image.seconds.toFixed(1) + ' s' : ' reused'),
  );
  process.env.REGION_ROUTER_RUNTIME = runtime.id;
  const reporter = matrixReporter();
  const vitest = await startVitest('test', [], {
    root: ROOT,
    config: join(ROOT, 'test', 'integration', 'vitest.config.ts'),
    run: true,
    watch: false,
    reporters: [reporter],
  });
  const failedRun = Boolean(process.exitCode);
  await vitest.close();
  process.exitCode = 0;
  const results = reporter.results();
  const failures = renderFailures(results);
  if (failures) console.log('\n' + failures);
  console.log('\n' + renderMatrix(results, runtime.id) + '\n');
  const checksPassed = results.checks.filter(function (c) {
    return c.state === 'passed';
  }).length;
  log('other checks [' + runtime.id + ']: ' + checksPassed + '/' + results.checks.length + ' passed');
  // What a passing check wants said, e.g. the metrics figures.
  for (const c of results.checks) if (c.summary && c.state === 'passed') log(c.summary);
  log(
    'timings [' +
      runtime.id +
      ']: image ' +
      (image.built ? 'built in ' + image.seconds.toFixed(1) + ' s' : 'reused') +
      ', suite (containers up, cases, teardown) ' +
      ((Date.now() - t0) / 1000 - image.seconds).toFixed(1) +
      ' s',
  );
  const figures = closingFigures(results);
  let ok =
    figures.passed === figures.total &&
    checksPassed === results.checks.length &&
    results.unhandled.length === 0 &&
    !failedRun;
  if (figures.total < MIN_CASES) {
    log(
      'integration [' +
        runtime.id +
        ']: only ' +
        figures.total +
        ' conformance cases ran; at least ' +
        MIN_CASES +
        ' must',
    );
    ok = false;
  }
  console.log(
    'conformance [' + runtime.id + ']: ' + figures.passed + '/' + figures.total + ' cases routed to the home region',
  );
  return { figures, ok };
}

async function main() {
  const runtimes = runtimesFromArgs(process.argv.slice(2));
  if (!existsSync(BUNDLE)) {
    console.error('integration: no bundle at dist/region-router.js: run `npm run build` first');
    return 1;
  }
  const t0 = Date.now();
  const engine = await ensureDockerEngine({ log });
  run.engine = engine;
  log('docker: engine ' + engine.version + (engine.started ? ' (started by this run)' : ''));
  const outcomes = [];
  for (const runtime of runtimes) outcomes.push(await runOn(runtime));
  await run.cleanUp();
  const passed = outcomes.reduce(function (n, o) {
    return n + o.figures.passed;
  }, 0);
  const total = outcomes.reduce(function (n, o) {
    return n + o.figures.total;
  }, 0);
  log(
    'integration: ' +
      runtimes.length +
      ' runtimes (' +
      runtimes
        .map(function (r) {
          return r.id;
        })
        .join(', ') +
      ') in ' +
      ((Date.now() - t0) / 1000).toFixed(1) +
      ' s',
  );
  console.log('conformance: ' + passed + '/' + total + ' cases routed to the home region');
  return outcomes.every(function (o) {
    return o.ok;
  })
    ? 0
    : 1;
}

main().then(
  function (code) {
    process.exit(code);
  },
  function (e) {
    // The harness's own errors say what to do; a stack would bury that.
    console.error('integration: ' + (e && e.message ? e.message : e));
    run.cleanUp().finally(function () {
      console.log('conformance: 0/0 cases routed to the home region');
      process.exit(1);
    });
  },
);
