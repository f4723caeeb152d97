// Which form field of an OAuth message carries the wrapped token. The message decides, not field order:
// a token request names its grant, and each grant has its own token-bearing parameter.
import { Form } from './form';

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
