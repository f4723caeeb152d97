// Users of both regions on the same connections and at the same time: an OAuth client's back-channel
// keeps one connection to the gateway for all its users, and a gateway serves many requests at once.
// The routing state of one request (njs variables, the region table probe) must never leak into another.
import { Agent } from 'node:http';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { REGIONS, Region } from '../harness/topology';
import { MESSAGE_TYPES, MessageType, buildCase } from './messages';
import { brokenLines, logCursor } from '../../dev/logs.mjs';
import { send } from './exchange';
import { assertDelivered } from './delivery';

const topology = inject('topology');

// Requests of both homes in a fixed, interleaved order: every message type, eu then us.
function interleaved(types: MessageType[]): { message: MessageType; home: Region }[] {
  const out: { message: MessageType; home: Region }[] = [];
  for (const message of types) for (const home of REGIONS) out.push({ message, home });
  return out;
}

async function deliver(entry: Region, agent: Agent, item: { message: MessageType; home: Region }): Promise<void> {
  const gateway = topology.gateways[entry];
  const c = await buildCase(item.message, item.home, gateway, topology.defaultRegion);
  const to = c.built.service === 'identity' ? gateway.identity : gateway.api;
  const got = await send(to, c.built.sent, agent);
  try {
    assertDelivered(c.built, c.region, got);
  } catch (e) {
    (e as Error).message = '[' + item.message.name + ', home ' + item.home + ', at the ' + entry + ' gateway] ' + (e as Error).message;
    throw e;
  }
}

const CONCURRENCY = 16;
const ROUNDS = 3; // x 30 message types x 2 homes = 180 requests per gateway, bounded

for (const entry of REGIONS) {
  describe('mixed traffic at the ' + entry + ' gateway', function () {
    let cursor: ReturnType<typeof logCursor>;
    beforeEach(function () { cursor = logCursor(topology.gateways[entry].prefix); });
    afterEach(function () {
      expect(brokenLines(cursor.errorLines()), 'nginx error log lines at error level or worse').toEqual([]);
    });

    it('one keepalive connection carries users of both regions, each to its home', async function () {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (const item of interleaved(MESSAGE_TYPES)) await deliver(entry, agent, item);
      } finally {
        agent.destroy();
      }
    });

    it(CONCURRENCY + ' connections at once, ' + ROUNDS * MESSAGE_TYPES.length * 2 + ' requests, each to its home', async function () {
      const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
      const queue: { message: MessageType; home: Region }[] = [];
      for (let round = 0; round < ROUNDS; round++) queue.push(...interleaved(MESSAGE_TYPES));
      const failures: string[] = [];
      const worker = async function () {
        for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
          await deliver(entry, agent, item).catch(function (e) { failures.push((e as Error).message.split('\n')[0]); });
        }
      };
      try {
        await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      } finally {
        agent.destroy();
      }
      expect(failures, 'requests that did not reach their home intact').toEqual([]);
    }, 60000);
  });
}
