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
        summary: testCase.meta().summary,
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
  const failed = results.cases.concat(results.checks).filter(function (c) {
    return c.state !== 'passed';
  });
  for (const c of failed) {
    out.push('FAIL ' + c.name + (c.state === 'failed' ? '' : ' (' + c.state + ')'));
    for (const e of c.errors)
      out.push(
        errorText(e)
          .split('\n')
          .map(function (l) {
            return '    ' + l;
          })
          .join('\n'),
      );
    out.push('');
  }
  for (const e of results.unhandled) out.push('UNHANDLED ' + errorText(e), '');
  return out.join('\n');
}

/**
 * One matrix per runtime: one row per message type, one column per transport. A cell sums up the four
 * (home region, entry gateway) cases: "ok x4" and the source nginx logged when all passed alike;
 * otherwise each case's outcome, the region that answered ("!=x" when x was expected) and the source.
 */
export function renderMatrix(results, runtimeId) {
  if (results.cases.length === 0) return '(no conformance case ran on ' + runtimeId + ': see the errors above)';
  const columns = [];
  const rows = [];
  const cases = {};
  for (const c of results.cases) {
    const m = c.matrix;
    if (columns.indexOf(m.transport) < 0) columns.push(m.transport);
    if (rows.indexOf(m.message) < 0) rows.push(m.message);
    const key = m.message + '|' + m.transport;
    (cases[key] = cases[key] || []).push(c);
  }
  const cell = {};
  for (const key of Object.keys(cases)) {
    const list = cases[key];
    const sources = list.map(function (c) {
      return c.matrix.source || '?';
    });
    const allOk = list.every(function (c) {
      return c.state === 'passed';
    });
    if (
      allOk &&
      sources.every(function (s) {
        return s === sources[0];
      })
    ) {
      cell[key] = 'ok x' + list.length + ' ' + sources[0];
    } else {
      cell[key] = list
        .map(function (c) {
          const m = c.matrix;
          const answered = m.answered ? m.answered.split('/')[0] : '-';
          return (
            (c.state === 'passed' ? 'ok ' : 'FAIL ') +
            m.home +
            '@' +
            m.entry +
            ':' +
            answered +
            (answered === m.expected ? '' : '!=' + m.expected) +
            ' ' +
            (m.source || '?')
          );
        })
        .join(', ');
    }
  }
  const first =
    Math.max.apply(
      null,
      ['message type'].concat(rows).map(function (r) {
        return r.length;
      }),
    ) + 2;
  const width =
    Math.max.apply(
      null,
      columns.concat(Object.values(cell)).map(function (s) {
        return s.length;
      }),
    ) + 2;
  const line = function (label, cells) {
    return (
      pad(label, first) +
      '| ' +
      cells
        .map(function (s) {
          return pad(s, width);
        })
        .join('| ')
    );
  };
  const out = [
    'Conformance on ' + runtimeId + '. Each cell: the home region x entry gateway cases of that message and transport,',
    'and the source nginx logged. Rows answered by "default" expect the default region: the request carries no usable region.',
    "(not run): the transport's client cannot send that message as built (HTTP/3 goes through chromium's fetch():",
    'no chunked body, no Expect).',
    '',
    line('message type', columns),
    '-'.repeat(first + (width + 2) * columns.length),
  ];
  for (const r of rows) {
    out.push(
      line(
        r,
        columns.map(function (col) {
          return cell[r + '|' + col] || '(not run)';
        }),
      ),
    );
  }
  return out.join('\n');
}

export function closingFigures(results) {
  const passed = results.cases.filter(function (c) {
    return c.state === 'passed';
  }).length;
  return { passed, total: results.cases.length };
}
