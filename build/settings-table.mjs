// Prints the README's settings table from the one declaration of the settings (src/core/config.ts);
// `--write` puts it into README.md between its settings markers. A unit test fails when they differ.
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../dev/paths.mjs';

const out = await build({
  stdin: { contents: "export { settingsTable } from './src/core/config.ts';", resolveDir: ROOT, loader: 'ts' },
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  write: false,
  logLevel: 'silent',
});
const { settingsTable } = await import(
  'data:text/javascript;base64,' + Buffer.from(out.outputFiles[0].text).toString('base64')
);
const table = settingsTable();
if (process.argv.includes('--write')) {
  const path = join(ROOT, 'README.md');
  const readme = readFileSync(path, 'utf8');
  const next = readme.replace(
    /<!-- settings:start -->\n[\s\S]*?\n<!-- settings:end -->/,
    '<!-- settings:start -->\n' + table + '\n<!-- settings:end -->',
  );
  if (next === readme && !readme.includes(table))
    throw new Error('README.md has no <!-- settings:start --> ... <!-- settings:end --> markers');
  writeFileSync(path, next);
} else {
  console.log(table);
}
