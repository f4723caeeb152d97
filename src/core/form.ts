// application/x-www-form-urlencoded, as browsers and OAuth clients send it (WHATWG URL, "urlencoded parser").

/** Decodes `+` and `%XX`; undefined when the percent-encoding or the UTF-8 under it is broken. */
export function formDecode(raw: string): string | undefined {
  if (raw.indexOf('+') < 0 && raw.indexOf('%') < 0) {
    return raw;
  }
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch (e) {
    return undefined;
  }
}

/** A field's decoded value, or why there is none. */
export type FieldValue =
  | { state: 'absent' }
  | { state: 'ambiguous' } // sent more than once: RFC 6749 3.2 forbids it, so no copy is trusted
  | { state: 'malformed' } // broken percent-encoding
  | { state: 'present'; value: string };

export interface Form {
  field(name: string): FieldValue;
  /** The value as sent, still encoded: undefined when absent, null when sent more than once. */
  encoded(name: string): string | null | undefined;
}

/**
 * Indexes a form body by field name. Values stay encoded until asked for, so only the fields that
 * decide the route are decoded. A pair whose name can't be decoded is dropped.
 */
export function parseForm(body: string): Form {
  const raw: Record<string, string | null> = Object.create(null);
  const pairs = body.split('&');
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i];
    if (pair.length === 0) {
      continue;
    }
    const eq = pair.indexOf('=');
    const name = formDecode(eq < 0 ? pair : pair.slice(0, eq));
    if (name === undefined) {
      continue;
    }
    const value = eq < 0 ? '' : pair.slice(eq + 1);
    // null marks a name seen twice
    raw[name] = name in raw ? null : value;
  }
  return {
    encoded: function (name: string): string | null | undefined {
      return name in raw ? raw[name] : undefined;
    },
    field: function (name: string): FieldValue {
      if (!(name in raw)) {
        return { state: 'absent' };
      }
      const encoded = raw[name];
      if (encoded === null) {
        return { state: 'ambiguous' };
      }
      const value = formDecode(encoded);
      return value === undefined ? { state: 'malformed' } : { state: 'present', value: value };
    },
  };
}
