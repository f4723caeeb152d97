// The counters one request adds to, and their exposition: the pure part of the metrics module.
import { describe, expect, it } from 'vitest';
import { counterKeys, exposition } from '../../src/core/metrics';

describe('counterKeys', function () {
  it('counts every request by region and source, and nothing else when it neither failed over nor disagreed', function () {
    expect(counterKeys({ region: 'eu', source: 'cookie', failover: '-', disagreement: '' })).toEqual([
      'region_router_requests_total{region="eu",source="cookie"}',
    ]);
  });

  it('adds a failover, by region and the upstream of the failover table', function () {
    expect(counterKeys({ region: 'us', source: 'code', failover: 'idsvr_eu', disagreement: '' })).toEqual([
      'region_router_requests_total{region="us",source="code"}',
      'region_router_failovers_total{region="us",upstream="idsvr_eu"}',
    ]);
  });

  it("adds a disagreement, by the cookie's region, the token's region and the token's source", function () {
    expect(counterKeys({ region: 'us', source: 'bearer', failover: '-', disagreement: 'eu' })).toEqual([
      'region_router_requests_total{region="us",source="bearer"}',
      'region_router_disagreements_total{cookie_region="eu",region="us",source="bearer"}',
    ]);
  });

  it('counts a request failed by a wrong setting under region="" (what the access log shows)', function () {
    expect(counterKeys({ region: '', source: '-', failover: '-', disagreement: '' })).toEqual([
      'region_router_requests_total{region="",source="-"}',
    ]);
  });

  it('keeps a label value that would break the text format on one line: quote, backslash, newline', function () {
    expect(counterKeys({ region: 'e"u\\\n', source: 'cookie', failover: '-', disagreement: '' })).toEqual([
      'region_router_requests_total{region="e_u__",source="cookie"}',
    ]);
  });
});

describe('exposition', function () {
  it('writes HELP and TYPE for every family, even without counters', function () {
    const text = exposition([]);
    for (const name of ['requests', 'failovers', 'disagreements']) {
      expect(text).toContain('# HELP region_router_' + name + '_total ');
      expect(text).toContain('# TYPE region_router_' + name + '_total counter\n');
    }
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .every(function (l) {
          return l.startsWith('# ');
        }),
    ).toBe(true);
  });

  it('puts each counter under its family, sorted by labels, with its value', function () {
    const text = exposition([
      ['region_router_failovers_total{region="us",upstream="idsvr_eu"}', 3],
      ['region_router_requests_total{region="us",source="bearer"}', 2],
      ['region_router_requests_total{region="eu",source="cookie"}', 10],
    ]);
    expect(
      text.split('\n').filter(function (l) {
        return !l.startsWith('#');
      }),
    ).toEqual([
      'region_router_requests_total{region="eu",source="cookie"} 10',
      'region_router_requests_total{region="us",source="bearer"} 2',
      'region_router_failovers_total{region="us",upstream="idsvr_eu"} 3',
      '',
    ]);
    expect(text.indexOf('# TYPE region_router_requests_total')).toBeLessThan(
      text.indexOf('region_router_requests_total{'),
    );
    expect(text.indexOf('region_router_requests_total{region="us"')).toBeLessThan(
      text.indexOf('# HELP region_router_failovers_total'),
    );
  });
});
