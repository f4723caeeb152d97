// Lint: the recommended JavaScript and TypeScript rules over the product, its tests and its tooling.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.run/', 'test-results/', 'release/', 'bench/.perf/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: {
        console: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        fetch: 'readonly',
        AbortSignal: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        __dirname: 'readonly',
        SharedArrayBuffer: 'readonly',
        Atomics: 'readonly',
        structuredClone: 'readonly',
        URLSearchParams: 'readonly',
        Response: 'readonly',
        Request: 'readonly',
        Headers: 'readonly',
        crypto: 'readonly',
        btoa: 'readonly',
        atob: 'readonly',
      },
    },
    rules: {
      // `catch (e)` without using e is how the njs 0.7.9 target spells a catch (no optional catch binding).
      '@typescript-eslint/no-unused-vars': ['error', { caughtErrors: 'none', argsIgnorePattern: '^_' }],
    },
  },
  {
    // Loaded by nginx: njs's globals.
    files: ['dev/engine-probe.js', 'bench/*.js'],
    languageOptions: { globals: { njs: 'readonly', ngx: 'readonly' } },
  },
  {
    // Browser-side scripts that Playwright runs in the page.
    files: ['test/e2e/**/*.mjs', 'platform/**/*.mjs'],
    languageOptions: { globals: { document: 'readonly', window: 'readonly', location: 'readonly' } },
  },
);
