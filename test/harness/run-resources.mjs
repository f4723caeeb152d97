// What one harness run leaves on the machine, named after its run id, so that the run (or its runner
// after a crash or ctrl-C) can find and remove exactly its own containers and directories.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
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

/**
 * One run of a container suite: a fresh run id, and cleanUp(), which removes the run's containers and
 * directories and stops the Docker engine if the run started one (set `engine`). cleanUp() also runs on
 * SIGINT and SIGTERM, before the process exits with 130.
 * @param {string} suite names the suite in the message on a signal
 */
export function containerRun(suite) {
  const run = {
    runId: randomBytes(4).toString('hex'),
    /** @type {{ stop(): Promise<void> } | undefined} */
    engine: undefined,
    cleanUp: async function () {
      sweepRun(run.runId);
      if (run.engine) await run.engine.stop();
    },
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, function () {
      console.error('\n' + suite + ': ' + signal + ": removing this run's containers");
      run.cleanUp().finally(function () {
        process.exit(130);
      });
    });
  }
  return run;
}
