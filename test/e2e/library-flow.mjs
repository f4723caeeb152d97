// The full OAuth flow with the client library (oauth4webapi), for one user entering at one regional
// gateway: two-stage login, code + PKCE, userinfo, API, refresh (rotation), revocation. Every step must
// be answered by the user's home region, which the services' own records must confirm.
import assert from 'node:assert/strict';
import { peekWrappedToken } from '../../platform/lib/http.mjs';
import { createOAuthClient } from '../../platform/lib/oauth-client.mjs';
import { describe, entries, gatewayOf, readRecords } from './records.mjs';
import { createUserAgent } from './user-agent.mjs';

export const E2E_REDIRECT_URI = 'http://127.0.0.1/e2e-callback';

/** options.staleZone: the browser arrives with a zone cookie naming another region (a shared computer). */
export async function libraryFlow(platform, user, gateway, options = {}) {
  const since = new Date().toISOString();
  const home = user.home;
  const elsewhere = home === 'eu' ? 'us' : 'eu';
  const client = createOAuthClient(platform.gateways[gateway], {
    id: platform.webClient.id,
    secret: platform.webClient.secret,
    redirectUri: E2E_REDIRECT_URI,
  });
  const ua = createUserAgent();

  const gatewayHost = new URL(platform.gateways[gateway].identity).host;
  if (options.staleZone) ua.preset(gatewayHost, 'zone', options.staleZone);
  const start = await client.start();
  const callback = await ua.signIn(start.url, E2E_REDIRECT_URI, user.name, user.password);
  assert.equal(ua.cookies(gatewayHost).zone, home, 'the name lookup set the zone cookie to the home region');

  const code = new URL(callback).searchParams.get('code');
  assert.equal(peekWrappedToken(code).zone, home, 'the authorization code is a wrapped token of the home region');
  const tokens = await client.finish(callback, start.pending);
  const refs = [code, tokens.access_token, tokens.refresh_token].map(function (t) {
    return peekWrappedToken(t).ref;
  });
  assert.equal(peekWrappedToken(tokens.access_token).zone, home);
  assert.equal(peekWrappedToken(tokens.refresh_token).zone, home);

  const info = await client.userinfo(tokens.access_token);
  assert.equal(info.preferred_username, user.name);
  assert.equal(info.zone, home);

  let api = await client.records(tokens.access_token);
  assert.equal(api.status, 200, JSON.stringify(api.body));
  assert.equal(api.body.region, home);
  assert.equal(api.body.user, user.name);
  assert.ok(api.body.records.length > 0);

  // The other region's API, asked directly (no gateway), refuses this region's token.
  const direct = await fetch(platform.services['api-' + elsewhere] + '/api/records', {
    headers: { authorization: 'Bearer ' + tokens.access_token },
  });
  assert.equal(direct.status, 401, 'api-' + elsewhere + ' must refuse a token of region ' + home);

  const refreshed = await client.refresh(tokens.refresh_token);
  refs.push(peekWrappedToken(refreshed.access_token).ref, peekWrappedToken(refreshed.refresh_token).ref);
  assert.equal(peekWrappedToken(refreshed.access_token).zone, home);
  await assert.rejects(client.refresh(tokens.refresh_token), 'a used refresh token is rotated out');
  api = await client.records(refreshed.access_token);
  assert.equal(api.status, 200);
  assert.equal(api.body.region, home);

  await client.revoke(refreshed.refresh_token);
  assert.equal((await client.records(refreshed.access_token)).status, 401, 'revocation ends the access token too');
  await assert.rejects(client.refresh(refreshed.refresh_token), 'a revoked refresh token is refused');

  // The services' own records: every request that came through a gateway with one of this grant's
  // wrapped tokens was served in the home region, and entered at the gateway the client used.
  const records = await readRecords(platform, since);
  const viaGateway = entries(records, function (e) {
    return gatewayOf(platform, e) !== 'direct' && refs.includes(e.tokenRef);
  });
  const misplaced = viaGateway.filter(function (e) {
    return e.region !== home || gatewayOf(platform, e) !== gateway;
  });
  assert.deepEqual(
    misplaced.map(describe),
    [],
    'requests with ' + user.name + "'s tokens served outside " + home + ' or entered elsewhere',
  );
  const served = viaGateway.map(function (e) {
    return e.service + ':' + e.event;
  });
  for (const expected of [
    'identity:code-issued',
    'identity:token:authorization_code',
    'identity:userinfo',
    'api:records',
    'identity:token:refresh_token',
    'identity:token-error:refresh_token',
    'identity:revoke',
    'api:refused',
  ]) {
    assert.ok(
      served.includes(expected),
      expected + ' missing from region ' + home + "'s records; saw " + served.join(', '),
    );
  }
  const password = records['identity-' + home].audit.filter(function (e) {
    return e.event === 'password-ok' && e.user === user.name;
  });
  assert.equal(password.length, 1, 'the password was checked once, in ' + home);
  if (options.staleZone) {
    // The stale cookie sent the first stage to the other region, which only looked the name up.
    const lookups = records['identity-' + options.staleZone].audit.filter(function (e) {
      return e.event === 'name-lookup';
    });
    assert.deepEqual(
      lookups.map(function (e) {
        return e.user + '->' + e.home;
      }),
      [user.name + '->' + home],
    );
  }
  const elsewherePersonal = entries(records, function (e) {
    return e.region === elsewhere && e.user === user.name && e.event !== 'name-lookup';
  });
  assert.deepEqual(
    elsewherePersonal.map(describe),
    [],
    'region ' + elsewhere + ' served ' + user.name + ' beyond a name lookup',
  );
  return { served: viaGateway.length };
}
