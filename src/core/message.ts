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

const FIELDS_BY_GRANT: Record<string, TokenField[]> = {
  authorization_code: ['code'], // RFC 6749 4.1.3
  refresh_token: ['refresh_token'], // RFC 6749 6
  'urn:ietf:params:oauth:grant-type:token-exchange': ['subject_token', 'actor_token'], // RFC 8693 2.1
  'urn:ietf:params:oauth:grant-type:device_code': ['device_code'], // RFC 8628 3.4
  'urn:openid:params:grant-type:ciba': ['auth_req_id'], // OpenID CIBA 10.1
};

// Requests without grant_type: introspection and revocation (RFC 7662, RFC 7009) send `token`,
// userinfo by POST sends `access_token` (RFC 6750 2.2), RP-initiated logout by POST sends `id_token_hint`.
const FIELDS_WITHOUT_GRANT: TokenField[] = ['token', 'access_token', 'id_token_hint'];

const NONE: TokenField[] = [];

/** The fields to look at, in order, for this message. Other grants (client_credentials, password, ...) carry none. */
export function tokenFields(form: Form): TokenField[] {
  const grant = form.field('grant_type');
  if (grant.state === 'absent') {
    return FIELDS_WITHOUT_GRANT;
  }
  if (grant.state !== 'present' || !Object.prototype.hasOwnProperty.call(FIELDS_BY_GRANT, grant.value)) {
    return NONE;
  }
  return FIELDS_BY_GRANT[grant.value];
}
