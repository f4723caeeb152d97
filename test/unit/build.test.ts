// The build is the guard that keeps njs-incompatible syntax out of the bundle.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleForNjs } from '../../build/njs-target.mjs';
import { BUNDLE } from '../../dev/paths.mjs';
import { hostNjsCheck } from '../../dev/runtimes.mjs';

const made: string[] = [];
afterAll(function () {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'region-router-build-'));
  made.push(dir);
  return dir;
}

function entry(source: string): string {
  const dir = tempDir();
  const file = join(dir, 'entry.ts');
  writeFileSync(file, source);
  return file;
}

describe('the njs bundle', function () {
  it('bundles src/ into a module that ends with `export default`, its handlers written there', async function () {
    const code: string = await bundleForNjs(join(__dirname, '..', '..', 'src', 'index.ts'));
    expect(code).toMatch(/export default \{ region, routeBody \};\n$/);
    expect(code).not.toMatch(/export \{/);
    expect(code).not.toMatch(/index_default/);
  });

  it.each([
    ['destructuring', 'const { a } = { a: 1 }; export default a;', /destructuring/],
    ['for...of', 'let n = 0; for (const x of [1]) { n += x; } export default n;', /for-of/],
    ['a class', 'class A {} export default A;', /class/i],
    ['a default argument', 'function f(a = 1) { return a; } export default f;', /default/],
  ])("refuses %s with esbuild's message", async function (_what, source, message) {
    await expect(bundleForNjs(entry(source))).rejects.toThrow(message);
  });

  it('lowers object spread into a helper that the njs engine runs', async function () {
    // esbuild's older spread helper used for...of; the output check would refuse it. This one loads.
    const code: string = await bundleForNjs(entry('const a = { x: 1 }; export default { ...a, y: 2 };'));
    expect(code).not.toMatch(/\.\.\.a/);
    const dir = tempDir();
    writeFileSync(join(dir, 'mod.js'), code);
    writeFileSync(join(dir, 'main.js'), "import m from '" + join(dir, 'mod.js') + "'; console.log(JSON.stringify(m));");
    const run = spawnSync('njs', [join(dir, 'main.js')], { encoding: 'utf8' });
    expect(run.error, 'the njs CLI must be installed (Debian package njs)').toBeUndefined();
    expect(run.stdout.trim()).toBe('{"x":1,"y":2}');
  });

  it('refuses APIs njs 0.7.9 lacks', async function () {
    await expect(bundleForNjs(entry('export default new Map();'))).rejects.toThrow(/Map\/Set/);
  });

  it('lowers what njs lacks but esbuild can rewrite (optional chaining, catch without binding)', async function () {
    const code: string = await bundleForNjs(
      entry('const o: any = {}; let v; try { v = o?.a?.b; } catch { v = 1; } export default v;'),
    );
    expect(code).not.toContain('?.');
    expect(code).toMatch(/catch \(\w+\)/);
  });

  it('builds a `lazy:` module only when load() is first called, and once', async function () {
    const dir = tempDir();
    // the part counts how often its top level runs
    writeFileSync(
      join(dir, 'part.ts'),
      'export const runs = (globalThis as any).partRuns = ((globalThis as any).partRuns || 0) + 1;\nexport function answer() { return 42; }\n',
    );
    writeFileSync(join(dir, 'entry.ts'), "import { load } from 'lazy:./part';\nexport default { load };\n");
    const code: string = await bundleForNjs(join(dir, 'entry.ts'));
    writeFileSync(join(dir, 'mod.js'), code);
    writeFileSync(
      join(dir, 'main.js'),
      "import m from '" +
        join(dir, 'mod.js') +
        "';\n" +
        'var before = globalThis.partRuns || 0;\n' +
        'var first = m.load().answer();\n' +
        'm.load();\n' +
        "console.log(before + ' ' + first + ' ' + globalThis.partRuns);\n",
    );
    const run = spawnSync('njs', [join(dir, 'main.js')], { encoding: 'utf8' });
    expect(run.stdout.trim()).toBe('0 42 1');
  });

  it('refuses a `lazy:` import of a module that does not exist, naming it', async function () {
    const dir = tempDir();
    writeFileSync(join(dir, 'entry.ts'), "import { load } from 'lazy:./missing';\nexport default { load };\n");
    await expect(bundleForNjs(join(dir, 'entry.ts'))).rejects.toThrow(/missing/);
  });

  it("runs both handlers of dist/region-router.js in this machine's njs CLI, on the fast path and the general path", function () {
    // npm run check:runtimes runs the same probe in every runtime's njs CLI, with each engine it has
    const check = hostNjsCheck(BUNDLE);
    expect(check, 'the njs CLI must be installed (Debian package njs)').toBeDefined();
    expect(check!.output).toMatch(/loaded$/);
    expect(check!.ok).toBe(true);
  });
});
