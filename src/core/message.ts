// Which form field of an OAuth message carries the wrapped token. The message decides, not field order:
// a token request names its grant, and each grant has its own token-bearing parameter.
import { Form, formDecode } from './form';

/** Source names double as the `$region_router_source` log values. */
export type TokenField =
  | 'code'
  | 'refresh_token'
  | 'subject_token'
  | 'actor_token'
  | 'device_code'
  | 'auth_req_id'
  | 'token'
  | 'access_token'
  | 'id_token_hint';

// A switch, not a table: a module-level table is a constant the njs engine builds for every request.
export function fieldsOfGrant(grant: string): TokenField[] {
  switch (grant) {
    case 'authorization_code':
      return ['code']; // RFC 6749 4.1.3
    case 'refresh_token':
      return ['refresh_token']; // RFC 6749 6
    case 'urn:ietf:params:oauth:grant-type:token-exchange':
      return ['subject_token', 'actor_token']; // RFC 8693 2.1
    case 'urn:ietf:params:oauth:grant-type:device_code':
      return ['device_code']; // RFC 8628 3.4
    case 'urn:openid:params:grant-type:ciba':
      return ['auth_req_id']; // OpenID CIBA 10.1
    default:
      return []; // other grants (client_credentials, password, ...) carry none
  }
}

// Requests without grant_type: introspection and revocation (RFC 7662, RFC 7009) send `token`, userinfo by
// POST sends `access_token` (RFC 6750 2.2), RP-initiated logout by POST sends `id_token_hint`.
function fieldsWithoutGrant(): TokenField[] {
  return ['token', 'access_token', 'id_token_hint'];
}

/** The fields to look at, in order, for this message. Other grants (client_credentials, password, ...) carry none. */
export function tokenFields(form: Form): TokenField[] {
  const grant = form.field('grant_type');
  if (grant.state === 'absent') {
    return fieldsWithoutGrant();
  }
  return grant.state === 'present' ? fieldsOfGrant(grant.value) : [];
}

/**
 * The message's first token field and its value as sent, found in one pass without building the form:
 * undefined when the body needs more than that (a name with '%', which could decode to any name;
 * grant_type or the field sent twice, or absent). What it returns is what parseForm and tokenFields give.
 */
export function firstTokenField(body: string): { field: TokenField; encoded: string } | undefined {
  const pairs = body.split('&');
  const names: string[] = [];
  let grant: string | null | undefined;
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i];
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    // '%' could decode to any name; '+' decodes to a space, which no name that counts here contains.
    if (name.indexOf('%') >= 0) {
      return undefined;
    }
    names.push(name);
    if (name === 'grant_type') {
      grant = grant === undefined ? (eq < 0 ? '' : pair.slice(eq + 1)) : null;
    }
  }
  if (grant === null) {
    return undefined;
  }
  const decoded = grant === undefined ? undefined : formDecode(grant);
  const fields = grant === undefined ? fieldsWithoutGrant() : decoded === undefined ? [] : fieldsOfGrant(decoded);
  if (fields.length === 0) {
    return undefined;
  }
  let found = -1;
  for (let i = 0; i < names.length; i++) {
    if (names[i] === fields[0] && pairs[i].length > 0) {
      if (found >= 0) {
        return undefined;
      }
      found = i;
    }
  }
  if (found < 0) {
    return undefined;
  }
  const pair = pairs[found];
  const eq = pair.indexOf('=');
  return { field: fields[0], encoded: eq < 0 ? '' : pair.slice(eq + 1) };
}
