// Collects the conformance cases (tests carrying `meta.matrix`) and the other checks of the integration
// suite, and renders them: failures in full, then the matrix as a table, then the closing figures.

export function matrixReporter() {
  const cases = [];
  const checks = [];
  let unhandled = [];
  return {
    onTestCaseResult(testCase) {
      const result = testCase.result();
      const entry = {
        name: testCase.fullName,
        state: result.state,
        errors: result.errors || [],
        matrix: testCase.meta().matrix,
      };
      (entry.matrix ? cases : checks).push(entry);
    },
    onTestRunEnd(_modules, errors) {
      unhandled = errors.slice();
    },
    results() {
      return { cases, checks, unhandled };
    },
  };
}

function pad(s, n) {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function errorText(e) {
  return [e.message || String(e), e.diff || ''].filter(Boolean).join('\n');
}

/** The failures, each with its whole message (which carries the exchange and nginx's error log). */
export function renderFailures(results) {
  const out = [];
  const failed = results.cases.concat(results.checks).filter(function (c) { return c.state !== 'passed'; });
  for (const c of failed) {
    out.push('FAIL ' + c.name + (c.state === 'failed' ? '' : ' (' + c.state + ')'));
    for (const e of c.errors) out.push(errorText(e).split('\n').map(function (l) { return '    ' + l; }).join('\n'));
    out.push('');
  }
  for (const e of results.unhandled) out.push('UNHANDLED ' + errorText(e), '');
  return out.join('\n');
}

/**
 * One row per message type, one column per (home region, entry gateway). A cell shows the outcome, the
 * region that answered and the source the gateway logged; the expected region heads each row's cells.
 */
export function renderMatrix(results) {
  if (results.cases.length === 0) return '(no conformance case ran: see the errors above)';
  const columns = [];
  const rows = [];
  const cell = {};
  for (const c of results.cases) {
    const m = c.matrix;
    const column = 'home ' + m.home + ' @ ' + m.entry + ' gw';
    if (columns.indexOf(column) < 0) columns.push(column);
    if (rows.indexOf(m.message) < 0) rows.push(m.message);
    const answered = m.answered ? m.answered.split('/')[0] : '-';
    const text = (c.state === 'passed' ? 'ok   ' : 'FAIL ') + answered + (answered === m.expected ? '' : '!=' + m.expected) +
      ' ' + (m.source || '?');
    cell[m.message + '|' + column] = text;
  }
  const first = Math.max.apply(null, ['message type'].concat(rows).map(function (r) { return r.length; })) + 2;
  const width = Math.max.apply(null, columns.concat(Object.values(cell)).map(function (s) { return s.length; })) + 2;
  const line = function (label, cells) {
    return pad(label, first) + '| ' + cells.map(function (s) { return pad(s, width); }).join('| ');
  };
  const out = [
    'Each cell: outcome, the region whose upstream answered ("!=x" when x was expected), the source nginx logged.',
    'Rows answered by "default" expect the default region: there the request carries no usable region.',
    '',
    line('message type', columns),
    '-'.repeat(first + (width + 2) * columns.length),
  ];
  for (const r of rows) {
    out.push(line(r, columns.map(function (col) { return cell[r + '|' + col] || '(not run)'; })));
  }
  return out.join('\n');
}

export function closingFigures(results) {
  const passed = results.cases.filter(function (c) { return c.state === 'passed'; }).length;
  return { passed, total: results.cases.length };
}
