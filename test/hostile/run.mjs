// npm run test:hostile: the hostile corpus through real nginx, then the fault tests (test/faults/).
// The suites are TypeScript, which this Node can't run: esbuild bundles them into .run/hostile/ first,
// leaving their imports of dev/ to load from dev/ itself (dev/ finds the repository from its own location).
// Ends with one line: hostile: P/N requests answered as documented
// Diagnostics: HOSTILE_DUMP=<file> writes the corpus run's error and access logs; FAULTS_ONLY=<group>
// (regionDown, refusedAndTimeout, failover, reloadUnderLoad) runs one fault group and skips the corpus;
// FAULTS_DUMP=<prefix> writes each fault gateway's logs and config.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BUNDLE, ROOT } from '../../dev/paths.mjs';

const outdir = join(ROOT, '.run', 'hostile');

if (!existsSync(BUNDLE)) {
  console.error('hostile: no bundle at dist/region-router.js: run `npm run build` first');
  process.exit(1);
}

await build({
  entryPoints: { hostile: join(ROOT, 'test', 'hostile', 'main.ts'), faults: join(ROOT, 'test', 'faults', 'main.ts') },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outdir,
  outExtension: { '.js': '.mjs' },
  logLevel: 'warning',
  plugins: [{
    name: 'dev-external',
    setup(b) {
      b.onResolve({ filter: /(^|\/)dev\/[\w-]+\.mjs$/ }, function (args) {
        return { path: pathToFileURL(resolve(args.resolveDir, args.path)).href, external: true };
      });
    },
  }],
});

const print = function (line) { console.log(line); };
const hostile = await import(pathToFileURL(join(outdir, 'hostile.mjs')).href);
const faults = await import(pathToFileURL(join(outdir, 'faults.mjs')).href);

let failed = false;
const corpus = process.env.FAULTS_ONLY ? { passed: 0, total: 0, global: [] } : await hostile.runHostile(print);
for (const g of corpus.global) { print('FAIL ' + g); failed = true; }
const faultResults = await faults.runFaults(print);
for (const f of faultResults) {
  print((f.ok ? 'ok   ' : 'FAIL ') + 'fault: ' + f.name + (f.detail ? ': ' + f.detail : ''));
  if (!f.ok) failed = true;
}
print('faults: ' + faultResults.filter(function (f) { return f.ok; }).length + '/' + faultResults.length + ' passed');
print('hostile: ' + corpus.passed + '/' + corpus.total + ' requests answered as documented');
process.exit(failed || corpus.passed !== corpus.total ? 1 : 0);
