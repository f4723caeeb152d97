// @ts-check
// Running child processes: where they run (a Runtime) and following what they write.
import { closeSync, openSync, readSync, statSync } from 'node:fs';

/**
 * Where a process runs. Local processes by default; platform/runtime.mjs also runs each in a container.
 * @typedef {object} Runtime
 * @property {(name: string, argv: string[], options: RunOptions) => Command} command
 *   the command line that runs argv; `name` identifies the process (a container's name)
 * @property {(name: string) => void} remove makes sure the process `name` is gone (its container removed)
 */
/**
 * @typedef {{ writable?: string[], readable?: string[], env?: Record<string, string> }} RunOptions
 *   writable: directories the process writes; readable: paths outside the repository it reads (certificates);
 *   env: variables added to its environment
 * @typedef {{ cmd: string, args: string[], env: NodeJS.ProcessEnv }} Command
 * @typedef {(stream: string, line: string) => void} OnLine
 */

/**
 * Local processes: argv[0] from PATH (Debian's nginx), and 'node' meaning this very Node.
 * @returns {Runtime}
 */
export function localRuntime() {
  return {
    command(_name, argv, options) {
      return {
        cmd: argv[0] === 'node' ? process.execPath : argv[0],
        args: argv.slice(1),
        env: { ...process.env, ...options.env },
      };
    },
    remove() {},
  };
}

/**
 * Calls onLine(stream, line) for each line a child process writes to stdout or stderr.
 * @param {import('node:child_process').ChildProcess} proc spawned with stdout and stderr piped
 * @param {OnLine} onLine
 */
export function forwardLines(proc, onLine) {
  for (const stream of /** @type {const} */ (['stdout', 'stderr'])) {
    const out = proc[stream];
    if (!out) continue;
    let rest = '';
    out.setEncoding('utf8');
    out.on('data', function (chunk) {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() || '';
      for (const line of lines) onLine(stream, line);
    });
  }
}

/**
 * Polls a growing file (it need not exist yet) and calls onLine for each complete new line.
 * @param {string} path
 * @param {(line: string) => void} onLine
 * @returns {{ stop(): void }} stop: reads what is left, then stops polling
 */
export function followFile(path, onLine) {
  let offset = 0;
  let rest = '';
  const read = function () {
    let size;
    try {
      size = statSync(path).size;
    } catch {
      return;
    }
    if (size <= offset) return;
    const fd = openSync(path, 'r');
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    closeSync(fd);
    offset = size;
    const lines = (rest + buf.toString('utf8')).split('\n');
    rest = lines.pop() || '';
    for (const line of lines) onLine(line);
  };
  const timer = setInterval(read, 100);
  return {
    stop: function () {
      clearInterval(timer);
      read();
    },
  };
}
