// Sends the hostile corpus through one runtime's nginx and checks each answer against the documented one,
// then the whole run: no worker crashed, no 500, no upstream outside the configured set, nothing leaked to
// a log.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deliveryDifference, parseRequest } from '../../dev/delivery.mjs';
import type { Echo } from '../../dev/echo-upstream.mjs';
import { brokenLines } from '../../dev/logs.mjs';
import { ROOT } from '../../dev/paths.mjs';
import { readsBodyFiles } from '../../dev/runtimes.mjs';
import type { Runtime } from '../../dev/runtimes.mjs';
import { mintWrappedToken } from '../../dev/tokens.mjs';
import { buildCorpus, Case, CATEGORIES } from './corpus';
import { startGateway } from './gateway';
import { acceptsInvalid, cliAnswers, INVALID_NUMBERS, VALID_NUMBERS } from './json-numbers';
import { exchange, inParallel, RawResponse } from './wire';

export interface SuiteResult {
  passed: number;
  total: number;
  /** Checks over the whole run (crash, 500, sentinel, leaks, documentation): each a failure message. */
  global: string[];
}

function echoOf(res: RawResponse): { region: string; service: string; echo?: Echo } | undefined {
  const upstream = res.headers['x-upstream'];
  if (upstream === undefined) return undefined;
  const parts = upstream.split('/');
  if (res.body.length === 0) return { region: parts[0], service: parts[1] };
  const e = JSON.parse(res.body.toString('utf8')) as Echo;
  return { region: e.region, service: e.service, echo: e };
}

/** region= and source= of each access-log line whose URI starts /h/<id>/ */
function accessLogById(log: string): Map<number, { status: number; region: string; source: string }> {
  const byId = new Map<number, { status: number; region: string; source: string }>();
  for (const line of log.split('\n')) {
    const m = /"\S+ \/h\/(\d+)\b[^"]*" (\d{3}) \d+ region=(\S*) source=(\S*)/.exec(line);
    if (m) byId.set(Number(m[1]), { status: Number(m[2]), region: m[3], source: m[4] });
  }
  return byId;
}

/** The router's lines in a piece of the error log, as '[level] text' (the text after 'js: region_router: '). */
function routerLines(log: string): string[] {
  const lines: string[] = [];
  for (const line of log.split('\n')) {
    const m = /\[(\w+)\] \d+#\d+: (?:\*\d+ )?js: region_router: (.*)$/.exec(line);
    if (m) lines.push('[' + m[1] + '] ' + m[2]);
  }
  return lines;
}

/** The answer, then (for a case that names them) the router's log lines. */
function judge(
  c: Case,
  res: RawResponse,
  logged: { status: number; region: string; source: string } | undefined,
  njsLog: string[] | undefined,
): string | undefined {
  const problem = judgeAnswer(c, res, logged);
  if (problem === undefined && c.njsLog && JSON.stringify(njsLog) !== JSON.stringify(c.njsLog))
    return 'the router logged ' + JSON.stringify(njsLog) + ', expected ' + JSON.stringify(c.njsLog);
  return problem;
}

function judgeAnswer(
  c: Case,
  res: RawResponse,
  logged: { status: number; region: string; source: string } | undefined,
): string | undefined {
  if (c.expect.kind === 'http09') {
    if (res.status !== 0) return 'expected an HTTP/0.9 answer (no status line), got ' + res.status;
    if (!logged || logged.region !== c.expect.region || logged.source !== c.expect.source)
      return (
        'access log says ' +
        JSON.stringify(logged) +
        ', expected region=' +
        c.expect.region +
        ' source=' +
        c.expect.source
      );
    return undefined;
  }
  if (res.error) return 'no answer: ' + res.error;
  if (c.expect.kind === 'refused') {
    if (res.status !== c.expect.status) return 'expected ' + c.expect.status + ' from nginx, got ' + res.status;
    if (res.headers['x-upstream']) return 'expected nginx to refuse it, but ' + res.headers['x-upstream'] + ' answered';
    return undefined;
  }
  if (res.status !== 200)
    return (
      'expected 200 from ' +
      c.expect.region +
      '/' +
      c.gateway +
      ', got ' +
      res.status +
      ' ' +
      res.body.toString('utf8').slice(0, 120)
    );
  const echo = echoOf(res);
  if (!echo) return 'answered without an upstream';
  if (echo.region !== c.expect.region || echo.service !== c.gateway) {
    return 'misrouted: expected ' + c.expect.region + '/' + c.gateway + ', reached ' + echo.region + '/' + echo.service;
  }
  // Every request that reaches an upstream arrives as sent: method, target, headers and body bytes.
  if (echo.echo) {
    const changed = deliveryDifference(parseRequest(c.bytes), echo.echo);
    if (changed) return changed;
  } else if (c.bytes.toString('latin1').slice(0, 5) !== 'HEAD ') {
    return 'the upstream answered without its record of the request';
  }
  if (!logged) return 'no access-log line';
  if (logged.region !== c.expect.region || logged.source !== c.expect.source) {
    return (
      'access log says region=' +
      logged.region +
      ' source=' +
      logged.source +
      ', expected region=' +
      c.expect.region +
      ' source=' +
      c.expect.source
    );
  }
  return undefined;
}

/** Lines of a log holding any planted marker or secret. */
function leaks(log: string, secrets: string[]): string[] {
  return log.split('\n').filter(function (l) {
    return (
      /hostileMark\d/i.test(l) ||
      secrets.some(function (s) {
        return s.length >= 16 && l.includes(s);
      })
    );
  });
}

export async function runHostile(print: (line: string) => void, runtime: Runtime, runId: string): Promise<SuiteResult> {
  const gw = await startGateway({ runtime, runId, name: 'hostile' });
  const global: string[] = [];
  try {
    const signed = { us: await mintWrappedToken({ zone: 'us' }), eu: await mintWrappedToken({ zone: 'eu' }) };
    const cases = buildCorpus({
      sentinel: '127.0.0.1:' + gw.sentinel.port,
      signed,
      readsBodyFiles: readsBodyFiles(gw.versions.njs),
      engine: runtime.engine,
      njsVersion: gw.versions.njs,
    });
    const send = function (c: Case) {
      return exchange(c.gateway === 'identity' ? gw.identityPort : gw.apiPort, c.bytes);
    };
    const together = cases.filter(function (c) {
      return !c.njsLog;
    });
    const responses: RawResponse[] = new Array(cases.length);
    (await inParallel(together, 8, send)).forEach(function (res, i) {
      responses[together[i].id] = res;
    });
    // Cases that name their log lines go one at a time: the lines each adds to the error log are its own (the
    // router writes them before the request is proxied, so before the answer arrives).
    const njsLogs = new Map<number, string[]>();
    for (const c of cases) {
      if (!c.njsLog) continue;
      const before = gw.nginx.errorLog().length;
      responses[c.id] = await send(c);
      njsLogs.set(c.id, routerLines(gw.nginx.errorLog().slice(before)));
    }
    // nginx writes the access-log line after the answer: give the last ones a moment
    await new Promise(function (r) {
      setTimeout(r, 300);
    });
    const access = gw.nginx.accessLog();
    const errors = gw.nginx.errorLog();
    const logged = accessLogById(access);

    let passed = 0;
    const perCategory = new Map<string, { passed: number; total: number }>();
    cases.forEach(function (c, i) {
      const problem = judge(c, responses[i], logged.get(c.id), njsLogs.get(c.id));
      const tally = perCategory.get(c.category) ?? { passed: 0, total: 0 };
      tally.total++;
      if (problem === undefined) {
        passed++;
        tally.passed++;
      } else print('FAIL #' + c.id + ' [' + c.category + '] ' + c.name + ': ' + problem);
      perCategory.set(c.category, tally);
    });
    for (const cat of CATEGORIES) {
      const t = perCategory.get(cat.id);
      if (!t) global.push('category ' + cat.id + ' has no request in the corpus');
      else
        print(
          '  ' +
            (t.passed === t.total ? 'ok  ' : 'FAIL') +
            ' ' +
            cat.id.padEnd(20) +
            ' ' +
            String(t.passed).padStart(3) +
            '/' +
            String(t.total).padEnd(3) +
            ' ' +
            cat.answer,
        );
    }

    // What the runtime's own njs CLI says of the numbers the json-number categories send: the same as the
    // table those cases expect (json-numbers.ts), so a failure above tells whether the engine or the router moved.
    const cli = cliAnswers(runtime);
    for (const e of cli.errors) global.push('njs CLI [' + runtime.id + '] on the JSON numbers: ' + e);
    const cliSays = function (text: string, expected: boolean) {
      const got = cli.answers.get(text);
      if (got !== undefined && got !== expected)
        global.push(
          'njs CLI [' +
            runtime.id +
            ', njs ' +
            cli.version +
            ']: JSON.parse ' +
            (got ? 'accepts' : 'throws a SyntaxError for') +
            ' the number ' +
            text +
            '; test/hostile/json-numbers.ts and docs/bad-input.md (Engine differences) say it ' +
            (expected ? 'accepts it' : 'throws'),
        );
    };
    for (const n of INVALID_NUMBERS) cliSays(n.text, acceptsInvalid(n, runtime.engine, gw.versions.njs));
    for (const text of VALID_NUMBERS) cliSays(text, true);
    print(
      'json numbers [' +
        runtime.id +
        ', njs CLI ' +
        cli.version +
        ']: JSON.parse accepts the invalid ' +
        (INVALID_NUMBERS.filter(function (n) {
          return cli.answers.get(n.text) === true;
        })
          .map(function (n) {
            return n.text;
          })
          .join(' ') || '(none)') +
        '; throws for ' +
        (INVALID_NUMBERS.filter(function (n) {
          return cli.answers.get(n.text) === false;
        })
          .map(function (n) {
            return n.text;
          })
          .join(' ') || '(none)') +
        '; accepts the valid ' +
        VALID_NUMBERS.filter(function (t) {
          return cli.answers.get(t) === true;
        }).join(' '),
    );

    // Whole-run checks
    // nginx answers much of the corpus with its own [error] lines (e.g. a body over the limit): only worse
    // means nginx or njs broke
    const crashes = brokenLines(errors, 'alert');
    if (crashes.length) global.push('nginx or njs broke:\n  ' + crashes.slice(0, 5).join('\n  '));
    // 501 and 505 are nginx's documented answers to protocol garbage; any other 5xx is the router failing
    const fiveHundreds = responses.filter(function (r, i) {
      const e = cases[i].expect;
      return r.status >= 500 && !(e.kind === 'refused' && e.status === r.status);
    }).length;
    if (fiveHundreds) global.push(fiveHundreds + ' answers were 5xx from the router');
    if (gw.sentinel.seen.length)
      global.push(gw.sentinel.seen.length + ' requests reached the sentinel, an upstream not in the configured set');
    const reachedIds = new Set<number>();
    for (const key of Object.keys(gw.upstreams)) {
      for (const rec of gw.upstreams[key].seen) {
        const m = /^\/h\/(\d+)(?:[/?]|$)/.exec(rec.url);
        const c = m ? cases[Number(m[1])] : undefined;
        // An HTTP/0.9 request is proxied too (as HTTP/1.1, without headers): to the region it was routed to.
        if (!c || c.expect.kind === 'refused' || c.expect.region + '/' + c.gateway !== key)
          global.push(key + ' received ' + rec.method + ' ' + rec.url.slice(0, 60) + ', which was not routed there');
        if (c) reachedIds.add(c.id);
      }
    }
    const secrets = cases.flatMap(function (c) {
      return c.secrets;
    });
    const accessLeaks = leaks(access, secrets);
    if (accessLeaks.length)
      global.push(
        accessLeaks.length + ' access-log lines hold a token or cookie value, e.g.\n  ' + accessLeaks[0].slice(0, 300),
      );
    if (process.env.HOSTILE_DUMP)
      writeFileSync(process.env.HOSTILE_DUMP + '.' + runtime.id, errors + '\n=== access\n' + access);
    // nginx itself, at info, quotes the header or request line it refuses ("client sent too long header
    // line: ..."). The shipped error_log level (warn) never writes those; every other line must be clean.
    const errorLeaks = leaks(errors, secrets);
    const refusedQuotes = errorLeaks.filter(function (l) {
      return / \[info\] \d+#\d+: \*\d+ client sent /.test(l);
    });
    const realLeaks = errorLeaks.filter(function (l) {
      return refusedQuotes.indexOf(l) < 0;
    });
    if (realLeaks.length)
      global.push(
        realLeaks.length +
          ' error-log lines hold a token or cookie value, e.g.\n  ' +
          realLeaks
            .slice(0, 3)
            .map(function (l) {
              return l.slice(0, 300);
            })
            .join('\n  '),
      );
    print(
      'hostile logs [' +
        runtime.id +
        ']: ' +
        accessLeaks.length +
        ' access-log lines and ' +
        realLeaks.length +
        ' error-log lines (njs, or notice and above) hold a planted value; ' +
        refusedQuotes.length +
        ' info-level nginx lines quote a refused request (not written at the shipped level, warn)',
    );

    // A token that overrules the cookie says so in one warn line, with regions and sources only.
    for (const w of [
      'cookie region eu differs from bearer region us; routed by bearer',
      'cookie region us differs from code region eu; routed by code',
      'cookie region eu differs from id_token_hint region us; routed by id_token_hint',
    ]) {
      if (!new RegExp('\\[warn\\] .*js: region_router: ' + w + '$', 'm').test(errors))
        global.push('no warn line "' + w + '"');
    }

    // Every category's answer is the one docs/bad-input.md documents.
    const doc = readFileSync(join(ROOT, 'docs', 'bad-input.md'), 'utf8');
    for (const cat of CATEGORIES) {
      const row = doc.split('\n').find(function (l) {
        return l.startsWith('| `' + cat.id + '` |');
      });
      const count = perCategory.get(cat.id)?.total;
      if (!row || !row.includes('| ' + cat.answer + ' | ' + count + ' |'))
        global.push('docs/bad-input.md does not document ' + cat.id + ' as: ' + cat.answer + ' | ' + count + ' |');
    }
    print(
      'hostile corpus [' +
        runtime.id +
        ', nginx ' +
        gw.versions.nginx +
        ', njs ' +
        gw.versions.njs +
        ']: ' +
        cases.length +
        ' requests in ' +
        CATEGORIES.length +
        ' categories; ' +
        reachedIds.size +
        " reached their region's upstream, " +
        (cases.length - reachedIds.size) +
        ' were answered by nginx; sentinel reached ' +
        gw.sentinel.seen.length +
        ' times; ' +
        'error log ' +
        errors.split('\n').length +
        ' lines, access log ' +
        access.split('\n').length +
        ' lines searched for ' +
        secrets.length +
        ' planted values',
    );
    return { passed, total: cases.length, global };
  } finally {
    await gw.stop();
  }
}
