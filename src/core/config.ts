// The router's whole configuration surface, declared once: every setting is an nginx variable with the
// `region_router_` prefix. Names, parsers, defaults and the README's settings table all come from SETTINGS;
// every error names the variable.

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
 * REGION_NAME.test without a regex: it runs on every token request. Characters are compared as strings:
 * on the njs engine that costs half of charCodeAt or a regex.
 */
export function isRegionName(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 63) {
    return false;
  }
  for (let i = 0; i < n; i++) {
    const c = s[i];
    const alphanumeric = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alphanumeric && (i === 0 || (c !== '-' && c !== '_'))) {
      return false;
    }
  }
  return true;
}

// One function with a switch rather than one parser function per kind: the njs engine builds every
// function of the module again for each request.
function parse(kind: Kind, raw: string, variable: string): string | number {
  let problem: string;
  switch (kind) {
    case 'region':
      if (isRegionName(raw)) {
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

/**
 * The names and defaults the fast paths read settings by. A module-level object would be built again for
 * every request on the njs engine (SETTINGS costs about as much as decoding a small token), and so would a
 * module-level constant: a const enum's values are written where they are used. SETTINGS is built from it.
 */
export const enum Setting {
  ClaimVariable = 'region_router_claim',
  DefaultClaim = 'zone',
  MaxTokenBytesVariable = 'region_router_max_token_bytes',
  DefaultMaxTokenBytes = 16384,
  ContinueAtVariable = 'region_router_continue_at',
  DefaultContinueAt = '@region_router_proxy',
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
    fallback: Setting.DefaultClaim,
    shown: '`zone`',
    doc: 'wrapped-token payload claim that holds the region (published examples of this pattern use `zone` or `region`)',
  } as ModuleSetting<'claim'>,
  maxTokenBytes: {
    variable: Setting.MaxTokenBytesVariable,
    kind: 'tokenBytes',
    fallback: Setting.DefaultMaxTokenBytes,
    shown: '`16384`',
    doc: 'longest wrapped token that is decoded (64 to 65536); a longer one is ignored as a source',
  } as ModuleSetting<'tokenBytes'>,
  continueAt: {
    variable: Setting.ContinueAtVariable,
    kind: 'location',
    fallback: Setting.DefaultContinueAt,
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

/**
 * A setting's value, parsed: `fallback` when unset (required when there is none). Throws an Error whose
 * message starts with the variable. The default itself, set explicitly, needs no parsing.
 */
export function readValue<K extends Kind>(
  vars: Variables,
  variable: string,
  kind: K,
  fallback: KindValue<K> | undefined,
): KindValue<K> {
  return settingValue(vars[variable], variable, kind, fallback);
}

/**
 * readValue of a value already read. The fast paths call it only for a setting that is set: an unset one is
 * the common case, and a call costs the njs engine about 0.6k instructions per request.
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
  if (raw === fallback) {
    return fallback;
  }
  return parse(kind, raw.trim(), variable) as KindValue<K>;
}

/** One setting of SETTINGS, parsed: readValue with its declaration. */
export function readSetting<K extends SettingName>(vars: Variables, name: K): RouterConfig[K] {
  const setting = SETTINGS[name] as ModuleSetting<Kind>;
  return readValue(vars, setting.variable, setting.kind, setting.fallback) as RouterConfig[K];
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
