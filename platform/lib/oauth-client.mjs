// The relying party's side of the flow, with oauth4webapi: authorization code + PKCE, userinfo, an API
// call, refresh and revocation, all against one entry URL (the global URL or one regional gateway).
// The client web app and the e2e test both use it. It never knows the user's region: the gateways do.
import * as oauth from 'oauth4webapi';

// Everything runs on http://127.0.0.x here; a real deployment is https and drops this.
const insecure = { [oauth.allowInsecureRequests]: true };

/**
 * entry: { identity: 'http://host:port', api: 'http://host:port' }; registration: { id, secret, redirectUri }.
 */
export function createOAuthClient(entry, registration) {
  const as = {
    issuer: entry.identity,
    authorization_endpoint: entry.identity + '/oauth/authorize',
    token_endpoint: entry.identity + '/oauth/token',
    revocation_endpoint: entry.identity + '/oauth/revoke',
    userinfo_endpoint: entry.identity + '/userinfo',
    end_session_endpoint: entry.identity + '/logout',
  };
  const client = { client_id: registration.id };
  // client_secret_post: oauth4webapi form-encodes Basic credentials ('-' becomes %2D, RFC 6749 2.3.1),
  // which @node-oauth/oauth2-server 5 does not decode.
  const clientAuth = oauth.ClientSecretPost(registration.secret);

  return {
    /** The authorization URL to send the browser to, and what to keep until the callback. */
    async start() {
      const verifier = oauth.generateRandomCodeVerifier();
      const state = oauth.generateRandomState();
      const url = new URL(as.authorization_endpoint);
      url.search = new URLSearchParams({
        client_id: client.client_id,
        redirect_uri: registration.redirectUri,
        response_type: 'code',
        scope: 'profile records',
        state,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      }).toString();
      return { url: url.href, pending: { verifier, state } };
    },

    /** Redeems the code of the callback URL. Returns the token response (access_token, refresh_token, ...). */
    async finish(callbackUrl, pending) {
      const params = oauth.validateAuthResponse(as, client, new URL(callbackUrl), pending.state);
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        clientAuth,
        params,
        registration.redirectUri,
        pending.verifier,
        insecure,
      );
      return oauth.processAuthorizationCodeResponse(as, client, response);
    },

    async userinfo(accessToken) {
      const response = await oauth.userInfoRequest(as, client, accessToken, insecure);
      return oauth.processUserInfoResponse(as, client, oauth.skipSubjectCheck, response);
    },

    /** GET /api/records through the API entry; returns { status, body }. */
    async records(accessToken) {
      try {
        const response = await oauth.protectedResourceRequest(
          accessToken,
          'GET',
          new URL(entry.api + '/api/records'),
          undefined,
          undefined,
          insecure,
        );
        return { status: response.status, body: await response.json() };
      } catch (e) {
        // A refused token (401 with a Bearer challenge) is an answer too: the caller decides what it means.
        if (!(e instanceof oauth.WWWAuthenticateChallengeError)) throw e;
        return { status: e.status, body: await e.response.json() };
      }
    },

    async refresh(refreshToken) {
      const response = await oauth.refreshTokenGrantRequest(as, client, clientAuth, refreshToken, insecure);
      return oauth.processRefreshTokenResponse(as, client, response);
    },

    /** Revokes the grant (RFC 7009), routed by the wrapped token in the `token` field. */
    async revoke(token) {
      const response = await oauth.revocationRequest(as, client, clientAuth, token, insecure);
      await oauth.processRevocationResponse(response);
    },

    /** Where to send the browser to end its session at the identity server. */
    logoutUrl(postLogoutRedirectUri) {
      const url = new URL(as.end_session_endpoint);
      url.search = new URLSearchParams({
        client_id: client.client_id,
        post_logout_redirect_uri: postLogoutRedirectUri,
      }).toString();
      return url.href;
    },
  };
}
