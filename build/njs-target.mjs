// What "runs on njs 0.7.9" means to the bundler, shared by build.mjs and the build's own tests.
import { build } from 'esbuild';

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
      // src/core/wrapped-token.ts: the bundle runs in njs only, so the checks that only Node needs are dropped
      // (a global lookup such as `typeof njs` costs the njs engine over 1k instructions on every request).
      define: { NJS_BUNDLE: 'true' },
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
 * Bundles a module with named exports into the text of `function <name>() { ... return { exports }; }`:
 * its code runs only when the function is called. The njs engine runs a module's top level again for every
 * request, so code that only some requests need is kept out of it.
 */
export async function bundleAsFunction(entry, name) {
  const code = await esbuildText(entry);
  const exportLine = /export\s*\{([^}]*)\};?\s*$/;
  const m = exportLine.exec(code);
  if (!m) {
    throw new Error('expected ' + entry + ' to end with `export { ... };`');
  }
  const members = m[1]
    .split(',')
    .map(function (s) {
      return s.trim();
    })
    .filter(Boolean)
    .map(function (member) {
      const parts = member.split(/\s+as\s+/);
      return (parts[1] || parts[0]) + ': ' + parts[0];
    });
  const body = code
    .slice(0, m.index)
    .replace(/\n+$/, '')
    .split('\n')
    .map(function (l) {
      return l ? '  ' + l : l;
    })
    .join('\n');
  return checkOutput('function ' + name + '() {\n' + body + '\n  return { ' + members.join(', ') + ' };\n}\n');
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
