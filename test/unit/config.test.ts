import { describe, expect, it } from 'vitest';
import { NGINX_SETTINGS, readConfig, readSetting, SETTINGS, SettingName, settingsTable } from '../../src/core/config';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function lookup(vars: Record<string, string>): Record<string, string> {
  return vars;
}

describe('configuration from prefixed nginx variables', function () {
  it('names every setting $region_router_<snake_case of its name>', function () {
    for (const name of Object.keys(SETTINGS) as SettingName[]) {
      const snake = name.replace(/[A-Z]/g, function (c) {
        return '_' + c.toLowerCase();
      });
      expect(SETTINGS[name].variable).toBe('region_router_' + snake);
    }
  });

  it('reads one setting alone, so a request reads only those it needs', function () {
    const asked: string[] = [];
    const vars = new Proxy({} as Record<string, string | undefined>, {
      get(_t, variable: string) {
        asked.push(variable);
        return variable === 'region_router_claim' ? 'region' : undefined;
      },
    });
    const value = readSetting(vars, 'claim');
    expect(value).toBe('region');
    expect(asked).toEqual(['region_router_claim']);
  });

  it('is the settings table of the README', function () {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const table = settingsTable();
    expect(readme, 'README.md: paste `node build/settings-table.mjs` output between the settings markers').toContain(
      '<!-- settings:start -->\n' + table + '\n<!-- settings:end -->',
    );
    for (const s of NGINX_SETTINGS) expect(table).toContain('`$' + s.variable + '`');
  });

  it('fills documented defaults', function () {
    expect(readConfig(lookup({ region_router_default_region: 'eu' }))).toEqual({
      defaultRegion: 'eu',
      claim: 'zone',
      maxTokenBytes: 16384,
      continueAt: '@region_router_proxy',
    });
  });

  it('reads every option', function () {
    expect(
      readConfig(
        lookup({
          region_router_default_region: 'us',
          region_router_claim: 'region',
          region_router_max_token_bytes: '4096',
          region_router_continue_at: '@idsvr',
        }),
      ),
    ).toEqual({ defaultRegion: 'us', claim: 'region', maxTokenBytes: 4096, continueAt: '@idsvr' });
  });

  it('treats an empty variable as unset', function () {
    expect(readConfig(lookup({ region_router_default_region: 'eu', region_router_claim: '' })).claim).toBe('zone');
  });

  it('names the variable when a required one is missing', function () {
    expect(function () {
      readConfig(lookup({}));
    }).toThrow(/^\$region_router_default_region is not set/);
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
    expect(function () {
      readConfig(lookup(vars));
    }).toThrow(message);
  });
});
