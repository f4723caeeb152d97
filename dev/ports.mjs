// @ts-check
// Ports for the processes the tests, the platform and the benchmark start, all on 127.0.0.x.
import { connect, createServer } from 'node:net';

/** @typedef {{ host: string, port: number }} Endpoint */

/**
 * The port the kernel gave a listener on `host` (`port` itself, unless it is 0), or undefined if taken.
 * @param {string} host
 * @param {number} port
 * @returns {Promise<number | undefined>}
 */
function tryListen(host, port) {
  return new Promise(function (res) {
    const s = createServer();
    s.once('error', function () {
      res(undefined);
    });
    s.listen(port, host, function () {
      const got = /** @type {import('node:net').AddressInfo} */ (s.address()).port;
      s.close(function () {
        res(got);
      });
    });
  });
}

// Every host:port handed out by this process. A port is released before its user binds it, so the
// kernel may offer it again to the next caller: two listeners of one config would then collide.
/** @type {Set<string>} */
const handedOut = new Set();

/**
 * A port to listen on at `host`: `preferred` when it is free, else one the kernel picks; never one given
 * out before by this process.
 * @param {string} [host]
 * @param {number} [preferred] 0: any
 * @returns {Promise<number>}
 */
export async function freePort(host = '127.0.0.1', preferred = 0) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await tryListen(host, attempt === 0 ? preferred : 0);
    if (port !== undefined && !handedOut.has(host + ':' + port)) {
      handedOut.add(host + ':' + port);
      return port;
    }
  }
  throw new Error('no free port on ' + host);
}

/**
 * Resolves once something accepts connections on host:port; rejects after timeoutMs.
 * @param {string} host
 * @param {number} port
 * @param {number} timeoutMs
 * @returns {Promise<void>}
 */
export function waitForPort(host, port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise(function (res, rej) {
    const attempt = function () {
      const sock = connect(port, host);
      sock.once('connect', function () {
        sock.destroy();
        res();
      });
      sock.once('error', function () {
        sock.destroy();
        if (Date.now() > deadline) rej(new Error('nothing listens on ' + host + ':' + port));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}
