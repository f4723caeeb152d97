// Numbers that JSON forbids, and what each engine's JSON.parse makes of them (docs/bad-input.md, Engine
// differences). The oracle is the JSON grammar (RFC 8259 section 6; ECMAScript's JSON.parse must throw a
// SyntaxError for any of them) and what each runtime's njs CLI answered when we asked it, not the router's
// code: the njs engine (njs 0.7.9, 0.8.9, 1.0.2) accepts most of them, QuickJS (njs 1.0.2 with quickjs-ng
// 0.17.0) none. The hostile corpus sends each inside a payload naming us; the suite also asks the runtime's
// njs CLI again (cliAnswers), so a failure tells whether the engine changed or the router did.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureImage, runInImage, versionAtLeast } from '../../dev/runtimes.mjs';
import type { Runtime } from '../../dev/runtimes.mjs';

export interface InvalidNumber {
  text: string;
  /** What makes it not a JSON number. */
  why: string;
  /**
   * The oldest njs whose njs engine was seen to accept it in JSON.parse: 0.7.9 (all three runtimes: 0.7.9,
   * 0.8.9 and 1.0.2 accept it) or 1.0.2 (0.7.9 and 0.8.9 throw a SyntaxError). QuickJS accepts none.
   */
  njsEngineSince: string;
}

export const INVALID_NUMBERS: InvalidNumber[] = [
  { text: '012', why: 'a leading zero', njsEngineSince: '0.7.9' },
  { text: '-01', why: 'a leading zero', njsEngineSince: '0.7.9' },
  { text: '.2', why: 'no digit before the point', njsEngineSince: '0.7.9' },
  { text: '2.', why: 'no digit after the point', njsEngineSince: '0.7.9' },
  { text: '2.e3', why: 'no digit after the point', njsEngineSince: '0.7.9' },
  { text: '-2.', why: 'no digit after the point', njsEngineSince: '0.7.9' },
  { text: '+1', why: 'a plus sign', njsEngineSince: '1.0.2' },
  { text: '-Infinity', why: 'a name, not digits', njsEngineSince: '1.0.2' },
];

/** Valid JSON numbers, next to the invalid ones: every engine must accept them (the control). */
export const VALID_NUMBERS = ['1', '-0.5', '2e3', '0', '-0', '1E+2'];

/**
 * Whether JSON.parse of that engine and njs accepts the invalid number, as the njs CLI showed. A newer njs is
 * expected to answer as 1.0.2 does, so a release that changes the answer fails the suite; njs 0.9.x, between
 * our runtimes, was not tried.
 */
export function acceptsInvalid(n: InvalidNumber, engine: 'njs' | 'qjs', njsVersion: string): boolean {
  return engine === 'njs' && versionAtLeast(njsVersion, n.njsEngineSince);
}

/** The payload a case sends: an object whose region claim names us, with the number after it. */
export function payloadWith(number: string): string {
  return '{"zone":"us","n":' + number + '}';
}

/**
 * Asks the runtime's njs CLI, with the runtime's engine, what JSON.parse makes of payloadWith(n) for every
 * number above: true where it returns an object whose zone is us, false where it throws (anything else is
 * reported as an error). The njs engine runs `njs FILE`, QuickJS `njs -n QuickJS -m -p DIR FILE`.
 */
export function cliAnswers(runtime: Runtime): { answers: Map<string, boolean>; version: string; errors: string[] } {
  const { tag } = ensureImage(runtime.release);
  const texts = INVALID_NUMBERS.map(function (n) {
    return n.text;
  }).concat(VALID_NUMBERS);
  const dir = mkdtempSync(join(tmpdir(), 'region-router-json-numbers-'));
  try {
    const file = join(dir, 'json-numbers.js');
    writeFileSync(
      file,
      [
        'var texts = ' + JSON.stringify(texts) + ';',
        'var payloads = ' + JSON.stringify(texts.map(payloadWith)) + ';',
        'for (var i = 0; i < texts.length; i++) {',
        '  var answer;',
        '  try {',
        '    var v = JSON.parse(payloads[i]);',
        "    answer = v !== null && typeof v === 'object' && v.zone === 'us' ? 'accepts' : 'returns ' + typeof v;",
        '  } catch (e) {',
        "    answer = e instanceof SyntaxError ? 'throws' : 'throws ' + e;",
        '  }',
        "  console.log('json-number\\t' + texts[i] + '\\t' + answer);",
        '}',
        "console.log('njs-version\\t' + njs.version);",
        '',
      ].join('\n'),
    );
    const argv = runtime.engine === 'qjs' ? ['njs', '-n', 'QuickJS', '-m', '-p', dir, file] : ['njs', file];
    const c = runInImage(tag, argv, { mounts: [dir] });
    const r = spawnSync(c.cmd, c.args, { encoding: 'utf8', timeout: 60000 });
    const out = (r.stdout || '') + (r.stderr || '');
    const answers = new Map<string, boolean>();
    const errors: string[] = [];
    let version = '';
    for (const line of out.split('\n')) {
      const m = /^json-number\t(\S+)\t(.*)$/.exec(line);
      if (m) {
        if (m[2] === 'accepts' || m[2] === 'throws') answers.set(m[1], m[2] === 'accepts');
        else errors.push(m[1] + ': ' + m[2]);
      }
      const v = /^njs-version\t(\S+)$/.exec(line);
      if (v) version = v[1];
    }
    if (r.status !== 0 || answers.size + errors.length !== texts.length)
      errors.push('the njs CLI exited ' + r.status + ':\n' + out.trim().slice(0, 600));
    return { answers, version, errors };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
