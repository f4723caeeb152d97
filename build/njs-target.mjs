// What "runs on njs 0.7.9" means to the bundler, shared by build.mjs and the build's own tests.
import { build } from 'esbuild';
import { dirname, resolve } from 'node:path';

// What njs 0.7.9 lacks (each tried in the njs CLI). false = "not supported by the target": esbuild lowers
// what it can and refuses, with its own message, what it can't.
export const NJS_0_7_9 = {
  destructuring: false,
  'default-argument': false,
  'for-of': false,
  class: false,
  generator: false,
  'async-generator': false,
  'array-spread': false,
  'object-rest-spread': false,
  'optional-chain': false,
  'optional-catch-binding': false,
  'logical-assignment': false,
  'regexp-dot-all-flag': false,
  'regexp-sticky-and-unicode-flags': false,
  'regexp-unicode-property-escapes': false,
  'regexp-lookbehind-assertions': false,
  'regexp-match-indices': false,
  'class-field': false,
  'class-static-field': false,
  'top-level-await': false,
  bigint: false,
};

// Constructs esbuild may still emit (inside its helpers) that njs 0.7.9 rejects, or APIs it lacks.
export const FORBIDDEN_IN_OUTPUT = [
  [/\bfor\s*\([^;()]*\s+of\s+/, 'for...of (from an esbuild helper: object spread or rest?)'],
  [/\.\.\.[A-Za-z_$[({]/, 'spread syntax'],
  [/\bclass\s+[A-Za-z_$]/, 'class'],
  [/\bnew\s+(Map|Set|WeakMap|Proxy)\b|\bReflect\./, 'Map/Set/WeakMap/Proxy/Reflect (missing on njs 0.7.9)'],
  [/\.replaceAll\(|Array\.from\(/, 'String.replaceAll/Array.from (missing on njs 0.7.9)'],
];

async function esbuildText(entry) {
  let result;
  try {
    result = await build({
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      supported: NJS_0_7_9,
      write: false,
      legalComments: 'none',
      logLevel: 'silent',
      plugins: [lazyModules],
    });
  } catch (e) {
    throw new Error(
      "esbuild refused the source (njs 0.7.9 can't run it):\n" +
        (e.errors || [e])
          .map(function (m) {
            return '  ' + (m.location ? m.location.file + ':' + m.location.line + ': ' : '') + (m.text || m.message);
          })
          .join('\n'),
    );
  }
  return result.outputFiles[0].text;
}

/**
 * `import { load } from 'lazy:./general'`: general.ts bundled on its own into a function, load(), that builds
 * it the first time it is called and keeps it. The njs engine runs a module's top level again for every
 * request, making each of its functions anew: code that only some requests need waits inside load() and costs
 * the others nothing (docs/costs.md, "The module's top level"). Under QuickJS a context serves many requests and
 * builds it once.
 */
const lazyModules = {
  name: 'lazy',
  setup(lazy) {
    lazy.onResolve({ filter: /^lazy:/ }, function (args) {
      return { path: resolve(args.resolveDir, args.path.slice('lazy:'.length) + '.ts'), namespace: 'lazy' };
    });
    lazy.onLoad({ filter: /.*/, namespace: 'lazy' }, async function (args) {
      const code = await esbuildText(args.path);
      // esbuild ends an ES module with `export { a, b as c };`: the function returns those as an object instead
      const exportLine = /export\s*\{([^}]*)\};?\s*$/.exec(code);
      if (!exportLine) throw new Error(args.path + ': expected the module to end with `export { ... };`');
      const members = exportLine[1]
        .split(',')
        .map(function (s) {
          return s.trim().split(/\s+as\s+/);
        })
        .filter(function (names) {
          return names[0] !== '';
        })
        .map(function (names) {
          return (names[1] || names[0]) + ': ' + names[0];
        });
      return {
        contents:
          'export function load() {\n  return load.built || (load.built = (function () {\n' +
          code.slice(0, exportLine.index) +
          '\n  return { ' +
          members.join(', ') +
          ' };\n  })());\n}\n',
        loader: 'js',
        resolveDir: dirname(args.path),
      };
    });
  },
};

function checkOutput(code) {
  for (const [pattern, what] of FORBIDDEN_IN_OUTPUT) {
    const m = pattern.exec(code);
    if (m) {
      const line = code.slice(0, m.index).split('\n').length;
      throw new Error('bundle line ' + line + ' uses ' + what + ', which njs 0.7.9 rejects');
    }
  }
  return code;
}

/**
 * Bundles one entry point into njs-loadable ESM text. Rejects (Error with a readable message) when
 * esbuild refuses the syntax or the output still holds something njs 0.7.9 can't run.
 */
export async function bundleForNjs(entry) {
  let code = await esbuildText(entry);
  // njs before 0.7.12 rejects `export { x as default }`.
  const exportLine = /export\s*\{\s*([A-Za-z_$][\w$]*)\s+as\s+default\s*\};?\s*$/;
  if (!exportLine.test(code)) {
    throw new Error(
      'expected the bundle to end with `export { x as default };` (does the entry have a default export?)',
    );
  }
  const name = exportLine.exec(code)[1];
  // An object literal bound only to be exported is exported as it is: the njs engine makes every module-level
  // binding again for each request.
  const literal = new RegExp('^var ' + name + ' = (\\{[^\\n]*\\});\\n', 'm').exec(code);
  if (literal && code.split(new RegExp('\\b' + name + '\\b')).length === 3) {
    code = code.slice(0, literal.index) + code.slice(literal.index + literal[0].length);
    code = code.replace(exportLine, 'export default ' + literal[1] + ';\n');
  } else {
    code = code.replace(exportLine, 'export default $1;\n');
  }
  return checkOutput(code);
}
