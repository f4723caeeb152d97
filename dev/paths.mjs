// @ts-check
// Where the repository and the built bundle are, found from this file's own location so that every
// caller (tests, platform, benchmark, runners) works from any working directory.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

/** The bundle nginx loads (`npm run build` writes it). */
export const BUNDLE = join(ROOT, 'dist', 'region-router.js');

/** The metrics module nginx/metrics-http.conf imports (`npm run build` writes it too). */
export const METRICS_BUNDLE = join(ROOT, 'dist', 'region-router-metrics.js');
