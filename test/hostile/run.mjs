// npm run test:hostile: the hostile corpus through real nginx, then the fault tests (test/faults/).
// The suites are TypeScript sharing test/support; esbuild bundles them into .run/hostile/ first. That
// directory sits two levels below the repository root, as test/support does, so support code that finds
// the root from its own location still finds it. Ends with one line: hostile: P/N requests answered as documented
// Diagnostics: HOSTILE_DUMP=<file> writes the corpus run's error and access logs; FAULTS_ONLY=<group>
// (regionDown, refusedAndTimeout, failover, reloadUnderLoad) runs one fault group and skips the corpus;
// FAULTS_DUMP=<prefix> writes each fault gateway's logs and config.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outdir = join(root, '.run', 'hostile');

if (!existsSync(join(root, 'dist', 'region-router.js'))) {
  console.error('hostile: no bundle at dist/region-router.js: run `npm run build` first');
  process.exit(1);
}

await build({
  entryPoints: { hostile: join(root, 'test', 'hostile', 'main.ts'), faults: join(root, 'test', 'faults', 'main.ts') },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outdir,
  outExtension: { '.js': '.mjs' },
  logLevel: 'warning',
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
