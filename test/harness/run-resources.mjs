// What one harness run leaves on the machine, named after its run id, so that the run (or its runner
// after a crash or ctrl-C) can find and remove exactly its own containers and directories.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Label on every container of one run. */
export const RUN_LABEL = 'org.njs-region-router.harness-run';

/** Start of the name of each gateway's nginx prefix (a temp dir) of one run. */
export function gatewayPrefixStem(runId) {
  return 'region-router-gw-' + runId + '-';
}

/** Removes the run's remaining containers and gateway prefixes; returns how many containers were left. */
export function sweepRun(runId) {
  const list = spawnSync('docker', ['ps', '-aq', '--filter', 'label=' + RUN_LABEL + '=' + runId], { encoding: 'utf8' });
  const ids = (list.stdout || '').split('\n').filter(Boolean);
  if (ids.length > 0) spawnSync('docker', ['rm', '-f'].concat(ids), { encoding: 'utf8' });
  for (const name of readdirSync(tmpdir())) {
    if (name.startsWith(gatewayPrefixStem(runId))) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
  return ids.length;
}
