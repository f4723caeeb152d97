// The router's whole configuration surface: every setting is an nginx variable with the `region_router_` prefix,
// declared in SETTINGS, which also writes the README's settings table. Every error names the variable.

/** How a setting's value is read: each kind has its own rule, and its own error message. */
type Kind = 'region' | 'claim' | 'tokenBytes' | 'location';
type KindValue<K extends Kind> = K extends 'tokenBytes' ? number : string;

/** A setting read by the njs module. Without `fallback` it is required. */
interface ModuleSetting<K extends Kind> {
  variable: string;
  kind: K;
  fallback?: KindValue<K>;
  /** What the README's settings table says: the default column, then the meaning. */
  shown: string;
  doc: string;
}

/** A setting that nginx itself reads (declared in the snippets or the region table); documented here with the rest. */
export interface NginxSetting {
  variable: string;
  shown: string;
  doc: string;
}

// Region names are matched against the region table; this only keeps obviously foreign text out of it.
export const REGION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/**
 * The variables and defaults of the settings the fast paths read on every token request, as a const enum:
 * each value is written where it is used, where SETTINGS would be built for every request on the njs engine
 * (docs/costs.md, "Settings"). SETTINGS takes them from here.
 */
export const enum Setting {
  ClaimVariable = 'region_router_claim',
  Claim = 'zone',
  MaxTokenBytesVariable = 'region_router_max_token_bytes',
  MaxTokenBytes = 16384,
  ContinueAtVariable = 'region_router_continue_at',
  ContinueAt = '@region_router_proxy',
}

/**
 * A setting's value: `fallback` when the variable is unset or empty (an Error when there is none: the setting
 * is required), else the value checked by its kind's rule. Errors start with the variable.
 */
export function settingValue<K extends Kind>(
  raw: string | undefined,
  variable: string,
  kind: K,
  fallback: KindValue<K> | undefined,
): KindValue<K> {
  if (raw === undefined || raw === '') {
    if (fallback === undefined) {
      throw new Error('$' + variable + ' is not set: declare it, e.g. `js_var $' + variable + ' ...;` in http {}');
    }
    return fallback;
  }
  return parse(kind, raw.trim(), variable) as KindValue<K>;
}

/** What each kind of setting accepts; throws an Error naming the variable for anything else. */
function parse(kind: Kind, raw: string, variable: string): string | number {
  let problem: string;
  switch (kind) {
    case 'region':
      if (REGION_NAME.test(raw)) {
        return raw;
      }
      problem = 'must be a region name (letters, digits, "_" or "-")';
      break;
    case 'claim':
      if (/^[A-Za-z0-9_:.$-]{1,64}$/.test(raw)) {
        return raw;
      }
      problem = 'must be a JWT claim name (1-64 of letters, digits, "_:.$-")';
      break;
    case 'tokenBytes': {
      const n = /^[0-9]{1,9}$/.test(raw) ? parseInt(raw, 10) : NaN;
      if (n >= 64 && n <= 65536) {
        return n;
      }
      problem = 'must be a whole number from 64 to 65536';
      break;
    }
    default:
      if (/^@[A-Za-z0-9_-]{1,64}$/.test(raw)) {
        return raw;
      }
      problem = 'must be a named location such as @region_router_proxy';
  }
  throw new Error('$' + variable + ' ' + problem + ', got "' + raw + '"');
}

/** The settings the njs module reads, in the order the README lists them. */
export const SETTINGS = {
  defaultRegion: {
    variable: 'region_router_default_region',
    kind: 'region',
    shown: '(required)',
    doc: 'region for requests that carry none; must be a value of the table',
  } as ModuleSetting<'region'>,
  claim: {
    variable: Setting.ClaimVariable,
    kind: 'claim',
    fallback: Setting.Claim,
    shown: '`zone`',
    doc: 'wrapped-token payload claim that holds the region (published examples of this pattern use `zone` or `region`)',
  } as ModuleSetting<'claim'>,
  maxTokenBytes: {
    variable: Setting.MaxTokenBytesVariable,
    kind: 'tokenBytes',
    fallback: Setting.MaxTokenBytes,
    shown: '`16384`',
    doc: 'longest wrapped token that is decoded (64 to 65536); a longer one is ignored as a source',
  } as ModuleSetting<'tokenBytes'>,
  continueAt: {
    variable: Setting.ContinueAtVariable,
    kind: 'location',
    fallback: Setting.ContinueAt,
    shown: '`@region_router_proxy`',
    doc: 'named location where a form POST continues once its body has been routed',
  } as ModuleSetting<'location'>,
};

/** The settings nginx reads; the README's table lists them with SETTINGS. */
export const NGINX_SETTINGS: NginxSetting[] = [
  {
    variable: 'region_router_candidate',
    shown: '(required) `$cookie_zone`',
    doc: 'declare it with `js_var ... $cookie_<name>`: the cookie that carries the region. njs also uses it to look values up in the table',
  },
  {
    variable: 'region_router_known',
    shown: '(required)',
    doc: 'your region table: `map $region_router_candidate $region_router_known { volatile; eu eu; ... }`. Keys match case-insensitively (nginx `map`); the value is what routing uses',
  },
  {
    variable: 'region_router_gateway',
    shown: '(empty)',
    doc: 'names this gateway in the failover table: `set $region_router_gateway identity;` in its `server {}`',
  },
  {
    variable: 'region_router_failover_upstream',
    shown: '(required, `""` by default)',
    doc: 'the failover table in `regions.conf`: `map "$region_router_gateway:$region_router_region" $region_router_failover_upstream { default ""; identity:us idsvr_eu; }`. Empty means no failover: that region\'s users get the 503 while it is down',
  },
];

type Settings = typeof SETTINGS;
export type SettingName = keyof Settings;
export type RouterConfig = { [N in SettingName]: KindValue<Settings[N]['kind']> };

/** nginx variables by name (njs's r.variables); undefined or '' means "not set". */
export type Variables = { [variable: string]: string | undefined };

/** One setting of SETTINGS, read when a request needs it (settingValue). */
export function readSetting<N extends SettingName>(vars: Variables, name: N): RouterConfig[N] {
  const setting = SETTINGS[name] as ModuleSetting<Kind>;
  return settingValue(vars[setting.variable], setting.variable, setting.kind, setting.fallback) as RouterConfig[N];
}

/** Reads and validates every setting. */
export function readConfig(vars: Variables): RouterConfig {
  return {
    defaultRegion: readSetting(vars, 'defaultRegion'),
    claim: readSetting(vars, 'claim'),
    maxTokenBytes: readSetting(vars, 'maxTokenBytes'),
    continueAt: readSetting(vars, 'continueAt'),
  };
}

/** The README's settings table, in Markdown. */
export function settingsTable(): string {
  const rows = ['| variable | default | meaning |', '|---|---|---|'];
  const names = Object.keys(SETTINGS) as SettingName[];
  const all: { variable: string; shown: string; doc: string }[] = NGINX_SETTINGS.slice(0, 2);
  for (let i = 0; i < names.length; i++) {
    all.push(SETTINGS[names[i]]);
  }
  const rest = NGINX_SETTINGS.slice(2);
  for (let i = 0; i < rest.length; i++) {
    all.push(rest[i]);
  }
  for (let i = 0; i < all.length; i++) {
    rows.push('| `$' + all[i].variable + '` | ' + all[i].shown + ' | ' + all[i].doc + ' |');
  }
  return rows.join('\n');
}
