// Starts the containerised topology once for the integration suite and hands its addresses to the tests.
import type { TestProject } from 'vitest/node';
import { randomBytes } from 'node:crypto';
import { ensureDockerEngine } from '../harness/docker-engine.mjs';
import { startTopology, Topology } from '../harness/topology';

declare module 'vitest' {
  export interface ProvidedContext {
    topology: Topology;
  }
}

export default async function setup(project: TestProject) {
  const log = function (line: string) { console.log(line); };
  // run.mjs has normally done this (and owns the engine it started); alone, vitest does it here.
  const engine = await ensureDockerEngine({ log });
  const runId = process.env.REGION_ROUTER_RUN_ID || randomBytes(4).toString('hex');
  const running = await startTopology({ runId, log });
  project.provide('topology', running.topology);
  return async function teardown() {
    await running.stop();
    await engine.stop();
  };
}
