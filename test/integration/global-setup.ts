// Starts the containerised topology once for the integration suite, on the runtime run.mjs names in
// REGION_ROUTER_RUNTIME (default: the first of dev/runtimes.mjs), and hands its addresses to the tests.
import type { TestProject } from 'vitest/node';
import { randomBytes } from 'node:crypto';
import { ensureDockerEngine } from '../../dev/docker-engine.mjs';
import { RUNTIMES, runtimeById } from '../../dev/runtimes.mjs';
import { startTopology, Topology } from '../harness/topology';

declare module 'vitest' {
  export interface ProvidedContext {
    topology: Topology;
  }
}

export default async function setup(project: TestProject) {
  const log = function (line: string) {
    console.log(line);
  };
  // run.mjs has normally done this (and owns the engine it started); alone, vitest does it here.
  const engine = await ensureDockerEngine({ log });
  const runId = process.env.REGION_ROUTER_RUN_ID || randomBytes(4).toString('hex');
  const runtime = process.env.REGION_ROUTER_RUNTIME ? runtimeById(process.env.REGION_ROUTER_RUNTIME) : RUNTIMES[0];
  const running = await startTopology({ runId, runtime, log, prometheus: true });
  project.provide('topology', running.topology);
  return async function teardown() {
    await running.stop();
    await engine.stop();
  };
}
