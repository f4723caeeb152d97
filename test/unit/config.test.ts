import { describe, expect, it } from 'vitest';
import { DESCRIPTOR, readConfig, variableName } from '../../src/core/config';

function lookup(vars: Record<string, string>) {
  return function (name: string): string | undefined {
    return vars[name];
  };
}

describe('configuration from prefixed nginx variables', function () {
  it('maps option names to $region_router_snake_case', function () {
    expect(variableName('defaultRegion')).toBe('region_router_default_region');
    expect(variableName('maxTokenBytes')).toBe('region_router_max_token_bytes');
    expect(Object.keys(DESCRIPTOR).map(variableName)).toEqual([
      'region_router_default_region', 'region_router_claim', 'region_router_max_token_bytes', 'region_router_continue_at',
    ]);
  });

  it('fills documented defaults', function () {
    expect(readConfig(lookup({ region_router_default_region: 'eu' }))).toEqual({
      defaultRegion: 'eu', claim: 'zone', maxTokenBytes: 16384, continueAt: '@region_router_proxy',
    });
  });

  it('reads every option', function () {
    expect(readConfig(lookup({
      region_router_default_region: 'us',
      region_router_claim: 'region',
      region_router_max_token_bytes: '4096',
      region_router_continue_at: '@idsvr',
    }))).toEqual({ defaultRegion: 'us', claim: 'region', maxTokenBytes: 4096, continueAt: '@idsvr' });
  });

  it('treats an empty variable as unset', function () {
    expect(readConfig(lookup({ region_router_default_region: 'eu', region_router_claim: '' })).claim).toBe('zone');
  });

  it('names the variable when a required one is missing', function () {
    expect(function () { readConfig(lookup({})); }).toThrow(/^\$region_router_default_region is not set/);
  });

  it.each([
    ['region_router_default_region', 'eu.example.com', /\$region_router_default_region must be a region name/],
    ['region_router_default_region', '127.0.0.1:22', /\$region_router_default_region must be a region name/],
    ['region_router_claim', 'a b', /\$region_router_claim must be a JWT claim name/],
    ['region_router_max_token_bytes', '12k', /\$region_router_max_token_bytes must be a whole number from 64 to 65536/],
    ['region_router_max_token_bytes', '0', /\$region_router_max_token_bytes must be a whole number/],
    ['region_router_max_token_bytes', '1000000', /\$region_router_max_token_bytes must be a whole number/],
    ['region_router_continue_at', '/proxy', /\$region_router_continue_at must be a named location/],
  ])('rejects %s = %j with an error naming it', function (name, value, message) {
    const vars: Record<string, string> = { region_router_default_region: 'eu' };
    vars[name] = value;
    expect(function () { readConfig(lookup(vars)); }).toThrow(message);
  });
});
