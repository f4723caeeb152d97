// Users of both regions on the same connections and at the same time: an OAuth client's back-channel
// keeps one connection to the gateway for all its users, and a gateway serves many requests at once.
// The routing state of one request (njs variables, the region table probe) must never leak into another:
// not between requests on one keepalive connection, nor between streams multiplexed on one HTTP/2
// connection.
import { Agent } from 'node:http';
import { Agent as TlsAgent } from 'node:https';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { REGIONS, Region } from '../harness/topology';
import { MESSAGE_TYPES, MessageType, buildCase } from './messages';
import { brokenLines, logCursor } from '../../dev/logs.mjs';
import { h2Session, linkTo, Pool, send, TransportInfo, TRANSPORTS } from './exchange';
import { assertDelivered } from './delivery';

const topology = inject('topology');

// Requests of both homes in a fixed, interleaved order: every message type, eu then us.
function interleaved(types: MessageType[]): { message: MessageType; home: Region }[] {
  const out: { message: MessageType; home: Region }[] = [];
  for (const message of types) for (const home of REGIONS) out.push({ message, home });
  return out;
}

/** Connections to both services of a gateway: keepalive agents (HTTP/1.1) or one session each (HTTP/2). */
interface Pools {
  identity: Pool;
  api: Pool;
  close(): void;
}

async function pools(entry: Region, transport: TransportInfo, sockets: number): Promise<Pools> {
  const gateway = topology.gateways[entry];
  if (transport.id === 'h2-tls') {
    const identity = await h2Session(linkTo(gateway, 'identity', transport, topology.ca));
    const api = await h2Session(linkTo(gateway, 'api', transport, topology.ca));
    return {
      identity: { session: identity },
      api: { session: api },
      close: function () {
        identity.close();
        api.close();
      },
    };
  }
  const agent = transport.tls
    ? new TlsAgent({ keepAlive: true, maxSockets: sockets })
    : new Agent({ keepAlive: true, maxSockets: sockets });
  return {
    identity: { agent },
    api: { agent },
    close: function () {
      agent.destroy();
    },
  };
}

async function deliver(
  entry: Region,
  transport: TransportInfo,
  p: Pools,
  item: { message: MessageType; home: Region },
): Promise<void> {
  const gateway = topology.gateways[entry];
  const c = await buildCase(item.message, item.home, gateway, topology.defaultRegion, transport);
  const link = linkTo(gateway, c.built.service, transport, topology.ca);
  const got = await send(link, c.built.sent, c.built.service === 'identity' ? p.identity : p.api);
  try {
    assertDelivered(c.built, c.region, got);
  } catch (e) {
    (e as Error).message =
      '[' +
      transport.id +
      ', ' +
      item.message.name +
      ', home ' +
      item.home +
      ', at the ' +
      entry +
      ' gateway] ' +
      (e as Error).message;
    throw e;
  }
}

const CONCURRENCY = 16;
const ROUNDS = 3; // x 30 message types x 2 homes = 180 requests per gateway and transport, bounded

// Not over HTTP/3: the browser that speaks it keeps one cookie jar, which each message sets for itself,
// so its exchanges go one at a time (conformance.test.ts).
for (const transport of TRANSPORTS.filter(function (t) {
  return !t.browser;
})) {
  const one = transport.id === 'h2-tls' ? 'one HTTP/2 connection per service' : 'one keepalive connection';
  const many =
    transport.id === 'h2-tls'
      ? CONCURRENCY + ' concurrent streams on one HTTP/2 connection per service'
      : CONCURRENCY + ' connections at once';
  for (const entry of REGIONS) {
    describe(transport.id + ': mixed traffic at the ' + entry + ' gateway', function () {
      let cursor: ReturnType<typeof logCursor>;
      beforeEach(function () {
        cursor = logCursor(topology.gateways[entry].prefix);
      });
      afterEach(function () {
        expect(brokenLines(cursor.errorLines()), 'nginx error log lines at error level or worse').toEqual([]);
      });

      it(one + ' carries users of both regions, each to its home', async function () {
        const p = await pools(entry, transport, 1);
        try {
          for (const item of interleaved(MESSAGE_TYPES)) await deliver(entry, transport, p, item);
        } finally {
          p.close();
        }
      });

      it(
        many + ', ' + ROUNDS * MESSAGE_TYPES.length * 2 + ' requests, each to its home',
        async function () {
          const p = await pools(entry, transport, CONCURRENCY);
          const queue: { message: MessageType; home: Region }[] = [];
          for (let round = 0; round < ROUNDS; round++) queue.push(...interleaved(MESSAGE_TYPES));
          const failures: string[] = [];
          const worker = async function () {
            for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
              await deliver(entry, transport, p, item).catch(function (e) {
                failures.push((e as Error).message.split('\n')[0]);
              });
            }
          };
          try {
            await Promise.all(Array.from({ length: CONCURRENCY }, worker));
          } finally {
            p.close();
          }
          expect(failures, 'requests that did not reach their home intact').toEqual([]);
        },
        60000,
      );
    });
  }
}
