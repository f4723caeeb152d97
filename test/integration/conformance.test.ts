// The multi-region conformance matrix: for every transport (HTTP/1.1, HTTP/1.1 over TLS, HTTP/2 over TLS) x
// home region x entry gateway x message type, a request goes through a real nginx container (the runtime's
// nginx and engine, the built bundle, the shipped example config) and must reach the home region's upstream
// with method, target, headers and body intact, and its answer must come back unchanged. Each case also
// checks the protocol, routing source and upstream in the access log and the warn lines in the error log.
// A failing case's message carries the exchange and the gateway's error log. After the cases, each
// gateway's counters (its /metrics, or on njs 0.7.9 the access-log recipe of docs/configuration.md) must equal what the
// cases sent it, per region and source, and the disagreements among them. Where the gateways serve /metrics
// (njs 0.8+), a real Prometheus scraped them all along (started with the topology): the counters it stored,
// read from its HTTP API, must have grown by the same figures between a scrape before the first case and
// one after the last.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { headerValues } from '../../dev/echo-upstream.mjs';
import { brokenLines, logCursor } from '../../dev/logs.mjs';
import { countedSince, Counters, expectedCounters, recipeCounters, scrapeCounters } from '../../dev/metrics.mjs';
import type { Endpoint } from '../../dev/ports.mjs';
import { canonicalCounters, grownSince, prometheusApi } from '../../dev/prometheus.mjs';
import type { Scrape } from '../../dev/prometheus.mjs';
import { REGIONS, Region } from '../harness/topology';
import { MESSAGE_TYPES, Built, buildCase } from './messages';
import { Link, linkTo, Pool, Received, send, TransportInfo, TRANSPORTS } from './exchange';
import { browserCanSend, startBrowser } from './browser-transport';
import { assertDelivered } from './delivery';

const topology = inject('topology');

// HTTP/3 where the runtime's nginx has it (not bookworm's 1.22), sent by chromium. Expected from the
// runtime's record, not from the image: an image that lost the module fails these cases.
const http3 = topology.runtime.http3;
const transports = TRANSPORTS.filter(function (t) {
  return !t.browser || http3;
});
const pool: Pool = {};

// What each entry gateway was sent, by the cases' own expectations, and its counters before the first case.
const sentTo = {} as Record<Region, ReturnType<typeof expectedCounters>>;
const countersBefore = {} as Record<Region, Counters>;
const accessLogBefore = {} as Record<Region, ReturnType<typeof logCursor>>;
// Prometheus's reading before the first case: its first scrape of each gateway begun after this hook
// started. Awaited (not thrown) before the cases; the Prometheus check below reports a failure.
const prometheus = topology.prometheus;
let prometheusBefore: Promise<Record<string, Scrape>> | undefined;
beforeAll(async function () {
  if (prometheus && prometheus.url) {
    prometheusBefore = prometheusApi(prometheus.url).scrapedAfter(prometheus.targets, Date.now());
    prometheusBefore.catch(function () {
      /* reported by the check */
    });
  }
  for (const entry of REGIONS) {
    sentTo[entry] = expectedCounters();
    const at = topology.gateways[entry].metrics;
    countersBefore[entry] = at ? await scrapeCounters(at) : {};
    accessLogBefore[entry] = logCursor(topology.gateways[entry].prefix);
  }
});

/** What a gateway counted since the first case: its /metrics, or where it has none the access-log recipe. */
async function countedBy(entry: Region): Promise<Counters> {
  const at = topology.gateways[entry].metrics;
  if (at) return countedSince(countersBefore[entry], await scrapeCounters(at));
  const dir = mkdtempSync(join(tmpdir(), 'region-router-recipe-'));
  try {
    const log = join(dir, 'access.log');
    writeFileSync(log, await accessLogBefore[entry].accessLines());
    return recipeCounters(log);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (http3) {
  beforeAll(async function () {
    const origins = REGIONS.flatMap(function (r) {
      return [topology.gateways[r].identityTls, topology.gateways[r].apiTls];
    });
    pool.browser = await startBrowser(origins, topology.spkiSha256);
  });
  afterAll(async function () {
    if (pool.browser) await pool.browser.close();
  });
}

// Prometheus's first reading is taken while the browser starts, and is there before the first case.
let prometheusWaitedBefore = 0;
beforeAll(async function () {
  const t0 = Date.now();
  if (prometheusBefore)
    await prometheusBefore.catch(function () {
      /* reported by the check */
    });
  prometheusWaitedBefore = Date.now() - t0;
});

/** Case metadata read by the matrix reporter. */
export interface MatrixMeta {
  runtime: string;
  transport: string;
  home: Region;
  entry: Region;
  message: string;
  expected: string;
  answered?: string;
  source?: string;
}

function describeExchange(entry: Region, link: Link, built: Built, got: Received | undefined): string {
  const body = built.sent.body;
  const to: Endpoint = link.to;
  const lines = [
    'sent over ' +
      link.transport.id +
      ' to the ' +
      entry +
      ' gateway (' +
      to.host +
      ':' +
      to.port +
      '): ' +
      built.sent.method +
      ' ' +
      built.sent.target.slice(0, 160),
    '  headers: ' +
      built.sent.headers
        .map(function (h) {
          return h[0];
        })
        .join(', ') +
      (body === undefined ? '' : '; body ' + body.length + ' bytes' + (built.sent.chunks ? ' chunked' : '')),
  ];
  if (got !== undefined) {
    lines.push(
      'answered: ' +
        got.status +
        ' x-upstream=' +
        headerValues(got.rawHeaders, 'x-upstream').join(',') +
        ' body ' +
        got.body.length +
        ' bytes: ' +
        got.body.toString('utf8').slice(0, 300),
    );
  }
  return lines.join('\n');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function runCase(
  transport: TransportInfo,
  home: Region,
  entry: Region,
  messageIndex: number,
  meta: MatrixMeta,
): Promise<void> {
  const gateway = topology.gateways[entry];
  const c = await buildCase(MESSAGE_TYPES[messageIndex], home, gateway, topology.defaultRegion, transport);
  const built = c.built;
  const region = c.region;
  meta.expected = region;
  const link = linkTo(gateway, built.service, transport, topology.ca);
  const upstream = topology.upstreams[region + '/' + built.service];

  const cursor = logCursor(gateway.prefix);
  let got: Received | undefined;
  try {
    if (transport.browser && !browserCanSend(built.sent))
      throw new Error('a browser cannot send this message as built: mark it notByBrowser');
    // Counted as sent: a request that fails on the way fails its case, and the counters' check with it.
    sentTo[entry].request({ region, source: built.expected.source, disagreement: built.expected.cookieDisagrees });
    got = await send(link, built.sent, pool);
    const answered = headerValues(got.rawHeaders, 'x-upstream');
    meta.answered = answered.join(',') || 'none (' + got.status + ')';

    assertDelivered(built, region, got);
    if (got.continued !== undefined) {
      // nginx answers Expect: 100-continue with "100 Continue" on HTTP/1.1 only; over HTTP/2 it sends no
      // interim answer (curl shows the same), and the client sends the body after its wait.
      expect(got.continued, '"100 Continue" before the body').toBe(transport.protocol === 'HTTP/1.1');
    }

    // The routing decision as nginx logged it, and the protocol nginx spoke with the client.
    const access = await cursor.accessLines(
      new RegExp('"' + built.sent.method + ' ' + escapeRegExp(built.sent.target.split('?')[0]) + ' '),
    );
    meta.source = (/ source=(\S+)/.exec(access) || ['', '?'])[1];
    expect(access, 'access log line: protocol, region, source and upstream').toMatch(
      new RegExp(
        '"' +
          built.sent.method +
          ' ' +
          escapeRegExp(built.sent.target.split('?')[0]) +
          ' ' +
          escapeRegExp(transport.protocol) +
          '" ' +
          built.expected.status +
          ' \\d+ region=' +
          region +
          ' source=' +
          built.expected.source +
          ' upstream=' +
          upstream.host +
          ':' +
          upstream.port +
          ' ',
      ),
    );
    const errors = cursor.errorLines();
    expect(brokenLines(errors), 'error log lines at error level or worse').toEqual([]);
    const warns = errors.split('\n').filter(function (l) {
      return /\[warn\].*region_router:/.test(l);
    });
    expect(warns.length, 'region_router warn lines: ' + JSON.stringify(warns)).toBe(built.expected.warns.length);
    for (const w of built.expected.warns) expect(warns.join('\n'), 'warn line').toMatch(w);
    for (const secret of built.secrets) {
      expect(
        errors.indexOf(secret.slice(-40)) < 0 && access.indexOf(secret.slice(-40)) < 0,
        'a token or cookie value appears in nginx logs',
      ).toBe(true);
    }
  } catch (e) {
    if (meta.source === undefined) meta.source = (/ source=(\S+)/.exec(await cursor.accessLines()) || ['', '?'])[1];
    const err = e as Error;
    err.message =
      err.message +
      '\n\n' +
      describeExchange(entry, link, built, got) +
      '\n--- nginx error log of the ' +
      entry +
      ' gateway, this request ---\n' +
      (cursor.errorLines() || '(nothing)') +
      '\n--- its last lines ---\n' +
      cursor.errorTail(15);
    throw err;
  }
}

for (const transport of transports) {
  for (const home of REGIONS) {
    for (const entry of REGIONS) {
      describe(transport.id + ': home ' + home + ', entering at the ' + entry + ' gateway', function () {
        MESSAGE_TYPES.forEach(function (message, index) {
          if (transport.browser && message.notByBrowser) return;
          it(message.name, async function (context) {
            const meta: MatrixMeta = {
              runtime: topology.runtime.id,
              transport: transport.id,
              home,
              entry,
              message: message.name,
              expected: '?',
            };
            (context.task.meta as Record<string, unknown>).matrix = meta;
            await runCase(transport, home, entry, index, meta);
          });
        });
      });
    }
  }
}

/** Sum of the counters of one family. */
function total(counters: Counters, family: string): number {
  return Object.keys(counters)
    .filter(function (k) {
      return k.startsWith(family + '{');
    })
    .reduce(function (n, k) {
      return n + counters[k];
    }, 0);
}

describe('the gateways after the matrix', function () {
  if (prometheus) {
    it('Prometheus scraped every gateway: the counters it stored (its HTTP API) grew by what the cases sent', async function (context) {
      if (!prometheus.url || !prometheusBefore) throw new Error('no Prometheus: ' + prometheus.error);
      const t0 = Date.now();
      const before = await prometheusBefore;
      const after = await grownSince(prometheusApi(prometheus.url), before, Date.now());
      let series = 0;
      let requests = 0;
      let disagreements = 0;
      for (const entry of prometheus.targets) {
        const sent = canonicalCounters(sentTo[entry].counters);
        expect(Object.keys(sent).length, 'cases sent to the ' + entry + ' gateway').toBeGreaterThan(0);
        expect(
          after.grown[entry],
          'the ' +
            entry +
            " gateway's counters as Prometheus stored them, grown between its scrapes at " +
            new Date(before[entry].at).toISOString() +
            ' and ' +
            new Date(after.scrapes[entry].at).toISOString(),
        ).toEqual(sent);
        series += Object.keys(sent).length;
        requests += total(sent, 'region_router_requests_total');
        disagreements += total(sent, 'region_router_disagreements_total');
      }
      (context.task.meta as Record<string, unknown>).summary =
        'prometheus [' +
        topology.runtime.id +
        ']: scraped ' +
        prometheus.targets.length +
        ' gateways, ' +
        series +
        ' series equal to what the cases sent (' +
        requests +
        ' requests per region and source, ' +
        disagreements +
        ' disagreements; Prometheus ' +
        prometheus.version +
        '; waited ' +
        (prometheusWaitedBefore / 1000).toFixed(1) +
        ' s for its scrape before the cases, ' +
        ((Date.now() - t0) / 1000).toFixed(1) +
        ' s for the one after)';
    });
  }
  for (const entry of REGIONS) {
    it(
      'the ' +
        entry +
        ' gateway counted each request once, per region and source, and each disagreement (' +
        (topology.gateways[entry].metrics
          ? 'its /metrics'
          : 'the access-log recipe of docs/configuration.md: no shared dictionary') +
        ')',
      async function (context) {
        const counted = await countedBy(entry);
        const sent = sentTo[entry].counters;
        expect(Object.keys(sent).length, 'cases sent to this gateway').toBeGreaterThan(0);
        expect(counted).toEqual(sent);
        (context.task.meta as Record<string, unknown>).summary =
          'metrics [' +
          topology.runtime.id +
          ']: the ' +
          entry +
          ' gateway counted ' +
          total(sent, 'region_router_requests_total') +
          ' requests in ' +
          Object.keys(sent).length +
          ' counters, ' +
          total(sent, 'region_router_disagreements_total') +
          ' disagreements: equal to what the cases sent (' +
          (topology.gateways[entry].metrics ? '/metrics' : 'access-log recipe') +
          ')';
      },
    );
    it('the ' + entry + ' gateway started without a warning about its configuration', function () {
      expect(topology.gateways[entry].startupWarnings).toEqual([]);
    });
    it('the ' + entry + ' gateway logged no error and no crash', function () {
      expect(brokenLines(logCursor(topology.gateways[entry].prefix).errorTail(100000))).toEqual([]);
    });
  }
});
