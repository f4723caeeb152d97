// npm run test:hostile [-- --runtime ID]: the hostile corpus, then the fault tests (test/hostile/faults/), through
// each runtime's nginx (dev/runtimes.mjs; all four without --runtime, which may be repeated or
// comma-separated), each in its image on the host network; the echo upstreams run on the host.
// The suites are TypeScript, which this Node can't run: esbuild bundles them into .run/hostile/ first,
// leaving their imports of dev/ to load from dev/ itself (dev/ finds the repository from its own location).
// Ends with, per runtime, then over all runtimes:
//     prometheus [forky-njs]: scraped 1 gateway, N series equal to ...  (runtimes with metrics: njs 0.8+)
//     faults [bookworm-njs]: P/N passed
//     hostile [bookworm-njs]: P/N requests answered as documented
//     faults: P/N passed
//     hostile: P/N requests answered as documented
// Diagnostics: HOSTILE_DUMP=<file> writes the corpus run's error and access logs (<file>.<runtime>);
// FAULTS_ONLY=<group> (regionDown, refusedAndTimeout, failover, reloadUnderLoad) runs one fault group and
// skips the corpus; FAULTS_DUMP=<prefix> writes each fault gateway's logs and config.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureDockerEngine } from '../../dev/docker-engine.mjs';
import { BUNDLE, ROOT } from '../../dev/paths.mjs';
import { ensureImage, runtimesFromArgs } from '../../dev/runtimes.mjs';
import { containerRun } from '../harness/run-resources.mjs';

const outdir = join(ROOT, '.run', 'hostile');

if (!existsSync(BUNDLE)) {
  console.error('hostile: no bundle at dist/region-router.js: run `npm run build` first');
  process.exit(1);
}

await build({
  entryPoints: {
    hostile: join(ROOT, 'test', 'hostile', 'main.ts'),
    faults: join(ROOT, 'test', 'hostile', 'faults', 'main.ts'),
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outdir,
  outExtension: { '.js': '.mjs' },
  logLevel: 'warning',
  plugins: [
    {
      name: 'dev-external',
      setup(b) {
        b.onResolve({ filter: /(^|\/)dev\/[\w-]+\.mjs$/ }, function (args) {
          return { path: pathToFileURL(resolve(args.resolveDir, args.path)).href, external: true };
        });
      },
    },
  ],
});

const print = function (line) {
  console.log(line);
};
const hostile = await import(pathToFileURL(join(outdir, 'hostile.mjs')).href);
const faults = await import(pathToFileURL(join(outdir, 'faults.mjs')).href);

const run = containerRun('hostile');
const runId = run.runId;

/** The corpus and the fault tests on one runtime. */
async function runOn(runtime) {
  const image = ensureImage(runtime.release, { log: print });
  print(
    'image [' +
      runtime.id +
      ']: ' +
      image.tag +
      (image.built ? ' built in ' + image.seconds.toFixed(1) + ' s' : ' reused'),
  );
  let failed = false;
  let corpus = { passed: 0, total: 0, global: [] };
  if (!process.env.FAULTS_ONLY) {
    try {
      corpus = await hostile.runHostile(print, runtime, runId);
    } catch (e) {
      corpus.global.push('the corpus run failed: ' + ((e && e.stack) || e));
    }
  }
  for (const g of corpus.global) {
    print('FAIL [' + runtime.id + '] ' + g);
    failed = true;
  }
  const faultResults = await faults.runFaults(print, runtime, runId);
  for (const f of faultResults) {
    print((f.ok ? 'ok   ' : 'FAIL ') + 'fault [' + runtime.id + ']: ' + f.name + (f.detail ? ': ' + f.detail : ''));
    if (!f.ok) failed = true;
  }
  const faultsPassed = faultResults.filter(function (f) {
    return f.ok;
  }).length;
  print('faults [' + runtime.id + ']: ' + faultsPassed + '/' + faultResults.length + ' passed');
  print('hostile [' + runtime.id + ']: ' + corpus.passed + '/' + corpus.total + ' requests answered as documented');
  return {
    corpus,
    faults: { passed: faultsPassed, total: faultResults.length },
    ok: !failed && corpus.passed === corpus.total,
  };
}

let code = 1;
try {
  const runtimes = runtimesFromArgs(process.argv.slice(2));
  run.engine = await ensureDockerEngine({ log: print });
  const outcomes = [];
  for (const runtime of runtimes) outcomes.push(await runOn(runtime));
  const sum = function (pick) {
    return outcomes.reduce(function (n, o) {
      return n + pick(o);
    }, 0);
  };
  print(
    'faults: ' +
      sum(function (o) {
        return o.faults.passed;
      }) +
      '/' +
      sum(function (o) {
        return o.faults.total;
      }) +
      ' passed',
  );
  print(
    'hostile: ' +
      sum(function (o) {
        return o.corpus.passed;
      }) +
      '/' +
      sum(function (o) {
        return o.corpus.total;
      }) +
      ' requests answered as documented',
  );
  code = outcomes.every(function (o) {
    return o.ok;
  })
    ? 0
    : 1;
} catch (e) {
  console.error('hostile: ' + (e && e.message ? e.message : e));
  print('faults: 0/0 passed');
  print('hostile: 0/0 requests answered as documented');
} finally {
  await run.cleanUp();
}
process.exit(code);
