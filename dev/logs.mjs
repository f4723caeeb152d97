// @ts-check
// Reading a gateway's logs in its prefix: what one exchange added, and whether nginx or njs broke.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** @param {string} path */
function byteLength(path) {
  return existsSync(path) ? statSync(path).size : 0;
}

/** @param {string} path @param {number} offset */
function readFrom(path, offset) {
  return existsSync(path) ? readFileSync(path).subarray(offset).toString('utf8') : '';
}

/**
 * Marks where a gateway's logs (error.log, access.log in `prefix`) stand, to read afterwards what one
 * exchange added.
 * @param {string} prefix
 */
export function logCursor(prefix) {
  const errorLog = join(prefix, 'error.log');
  const accessLog = join(prefix, 'access.log');
  const errorAt = byteLength(errorLog);
  const accessAt = byteLength(accessLog);
  return {
    /**
     * The access log lines written since the mark. nginx logs after the response, so this waits (up to 2 s)
     * for a whole line, or for one that matches `expected` when given: a client that has its answer may
     * look before nginx has written the line, or before an earlier request's line is complete.
     * @param {RegExp} [expected]
     * @returns {Promise<string>}
     */
    async accessLines(expected) {
      const deadline = Date.now() + 2000;
      const ready = function () {
        const text = readFrom(accessLog, accessAt);
        const whole = text.slice(0, text.lastIndexOf('\n') + 1);
        return (
          whole !== '' &&
          (!expected ||
            whole.split('\n').some(function (l) {
              return expected.test(l);
            }))
        );
      };
      while (!ready() && Date.now() < deadline) {
        await new Promise(function (r) {
          setTimeout(r, 10);
        });
      }
      return readFrom(accessLog, accessAt);
    },
    /** @returns {string} the error log lines written since the mark */
    errorLines() {
      return readFrom(errorLog, errorAt);
    },
    /** @param {number} lines @returns {string} the last `lines` lines of the whole error log */
    errorTail(lines) {
      return readFrom(errorLog, 0).split('\n').slice(-lines).join('\n');
    },
  };
}

const LEVELS = ['warn', 'error', 'crit', 'alert', 'emerg'];

/**
 * The lines of an nginx error log that say nginx or njs broke: a worker that died, a js exception or
 * error, and any line at level `least` or worse. Suites that provoke nginx's own [error] lines on
 * purpose (unreachable upstreams, refused requests) pass 'alert'; what nginx says while it starts, about
 * its configuration, is checked from 'warn'.
 * @param {string} log
 * @param {'warn' | 'error' | 'crit' | 'alert'} [least]
 * @returns {string[]}
 */
export function brokenLines(log, least = 'error') {
  const levels = LEVELS.slice(LEVELS.indexOf(least)).join('|');
  const broken = new RegExp('\\[(' + levels + ')\\]|exited on signal|js exception|js error', 'i');
  return log.split('\n').filter(function (l) {
    return broken.test(l);
  });
}
