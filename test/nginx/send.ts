// One request through a gateway as exactly these bytes (test/hostile/wire.ts), checked to reach the upstream
// intact: method, target, every header and the body (dev/delivery.mjs).
import { expect } from 'vitest';
import { deliveryDifference, parseRequest } from '../../dev/delivery.mjs';
import type { Echo } from '../../dev/echo-upstream.mjs';
import { exchange, serialise } from '../hostile/wire';

export interface Request {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface Sent {
  status: number;
  /** The upstream's record of the request. */
  echo: Echo;
}

/** `errorLog` is shown when the answer does not come from an upstream. */
export async function sendIntact(url: string, init: Request, errorLog: () => string): Promise<Sent> {
  const u = new URL(url);
  const headers = Object.entries(init.headers || {}) as [string, string][];
  const bytes = serialise(
    { method: init.method || 'GET', target: u.pathname + u.search, headers, body: init.body },
    u.host,
  );
  const res = await exchange(Number(u.port), bytes);
  let echo: Echo;
  try {
    echo = JSON.parse(res.body.toString('utf8'));
  } catch {
    throw new Error(
      'not an upstream answer (' +
        res.status +
        '): ' +
        res.body.toString('utf8') +
        '\n--- nginx error log ---\n' +
        errorLog(),
    );
  }
  expect(deliveryDifference(parseRequest(bytes), echo), 'delivered intact').toBeUndefined();
  return { status: res.status, echo };
}
