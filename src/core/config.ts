// The router's whole configuration surface: one typed descriptor, read from prefixed nginx variables.
// Every option is `$region_router_<snake_case_name>`; each has its own parser, and every error names the variable.

export const VARIABLE_PREFIX = 'region_router_';

export interface RouterConfig {
  /** Region used when a request carries no usable region. Must be in the region table. */
  defaultRegion: string;
  /** Name of the wrapped token's payload claim that holds the region. */
  claim: string;
  /** Longest wrapped token (bytes) the router decodes; longer ones are ignored. */
  maxTokenBytes: number;
  /** Named location where a body-routed request continues (it proxies to the identity server). */
  continueAt: string;
}

type Parser<T> = (raw: string, variable: string) => T;

interface Option<T> {
  parse: Parser<T>;
  /** Absent means the option is required. */
  fallback?: T;
  doc: string;
}

type Descriptor = { [K in keyof RouterConfig]: Option<RouterConfig[K]> };

function fail(variable: string, problem: string): Error {
  return new Error('$' + variable + ' ' + problem);
}

// Region names are matched against the region table; this only keeps obviously foreign text out of it.
export const REGION_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/**
 * REGION_NAME.test without a regex: it runs on every routed request, and on njs 0.7.9 a regex costs
 * about 2 microseconds even on a two-letter name (bench/README.md), this loop a tenth of that.
 */
export function isRegionName(s: string): boolean {
  if (s.length === 0 || s.length > 63) {
    return false;
  }
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const alphanumeric = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (!alphanumeric && (i === 0 || (c !== 45 && c !== 95))) {
      return false;
    }
  }
  return true;
}

const regionName: Parser<string> = function (raw, variable) {
  if (!isRegionName(raw)) {
    throw fail(variable, 'must be a region name (letters, digits, "_" or "-"), got "' + raw + '"');
  }
  return raw;
};

const claimName: Parser<string> = function (raw, variable) {
  if (!/^[A-Za-z0-9_:.$-]{1,64}$/.test(raw)) {
    throw fail(variable, 'must be a JWT claim name (1-64 of letters, digits, "_:.$-"), got "' + raw + '"');
  }
  return raw;
};

function integer(min: number, max: number): Parser<number> {
  return function (raw, variable) {
    const n = /^[0-9]{1,9}$/.test(raw) ? parseInt(raw, 10) : NaN;
    if (!(n >= min && n <= max)) {
      throw fail(variable, 'must be a whole number from ' + min + ' to ' + max + ', got "' + raw + '"');
    }
    return n;
  };
}

const namedLocation: Parser<string> = function (raw, variable) {
  if (!/^@[A-Za-z0-9_-]{1,64}$/.test(raw)) {
    throw fail(variable, 'must be a named location such as @region_router_proxy, got "' + raw + '"');
  }
  return raw;
};

export const DESCRIPTOR: Descriptor = {
  defaultRegion: {
    parse: regionName,
    doc: 'Region for requests that carry none (first visit, unknown or malformed values). Required; must be in the region table.',
  },
  claim: {
    parse: claimName,
    fallback: 'zone',
    doc: "Wrapped-token payload claim holding the region (published examples of this pattern use zone or region).",
  },
  maxTokenBytes: {
    parse: integer(64, 65536),
    fallback: 16384,
    doc: 'Longest wrapped token, in bytes, that is decoded; a longer one is ignored as a source.',
  },
  continueAt: {
    parse: namedLocation,
    fallback: '@region_router_proxy',
    doc: 'Named location where a request continues once its body has been routed.',
  },
};

/** `maxTokenBytes` -> `region_router_max_token_bytes` */
export function variableName(option: string): string {
  return VARIABLE_PREFIX + option.replace(/[A-Z]/g, function (c) { return '_' + c.toLowerCase(); });
}

/** Reads a variable; undefined or '' means "not set". */
export type VariableLookup = (variable: string) => string | undefined;

function readOption<T>(lookup: VariableLookup, variable: string, option: Option<T>): T {
  const raw = lookup(variable);
  if (raw === undefined || raw === '') {
    if (option.fallback === undefined) {
      throw fail(variable, 'is not set: declare it, e.g. `js_var $' + variable + ' ...;` in http {}');
    }
    return option.fallback;
  }
  return option.parse(raw.trim(), variable);
}

// Spelled out, not computed: njs 0.7.9 runs this module's top level again for every request (in the VM
// clone), and computing these four names cost about 28 microseconds per request (bench/README.md).
// The unit tests check that each is variableName(key).
const VARIABLES: { [K in keyof RouterConfig]: string } = {
  defaultRegion: 'region_router_default_region',
  claim: 'region_router_claim',
  maxTokenBytes: 'region_router_max_token_bytes',
  continueAt: 'region_router_continue_at',
};

/** Reads and validates every option. Throws an Error whose message starts with the variable's name. */
export function readConfig(lookup: VariableLookup): RouterConfig {
  return {
    defaultRegion: readOption(lookup, VARIABLES.defaultRegion, DESCRIPTOR.defaultRegion),
    claim: readOption(lookup, VARIABLES.claim, DESCRIPTOR.claim),
    maxTokenBytes: readOption(lookup, VARIABLES.maxTokenBytes, DESCRIPTOR.maxTokenBytes),
    continueAt: readOption(lookup, VARIABLES.continueAt, DESCRIPTOR.continueAt),
  };
}
