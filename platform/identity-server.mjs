// A regional identity server, built on @node-oauth/oauth2-server. It holds only its own region's users,
// sessions and grants. Every authorization code, access token and refresh token it issues is a wrapped
// token: a JWT signed with this region's key whose payload carries the region (`zone`) and an opaque
// reference (`ref`) to the grant, which stays in this server's store.
//
// The login has two stages. /login asks only for the user name; whichever region serves it asks the
// global directory for the user's home region, sets the HTTP-only `zone` cookie and redirects (the zone
// transfer). The gateway then routes /login/password to the home region, which checks the password.
//
// Run by platform/launch.mjs: node platform/identity-server.mjs (config in $PLATFORM_SERVICE_CONFIG)
import OAuth2Server from '@node-oauth/oauth2-server';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  serviceConfig,
  cookies,
  createAudit,
  escapeHtml,
  listen,
  page,
  parseForm,
  peekWrappedToken,
  readBody,
  redirect,
  sendHtml,
  sendJson,
  setCookie,
} from './lib/http.mjs';

const { Request, Response, OAuthError } = OAuth2Server;

const config = serviceConfig();
const region = config.region;
const issuer = 'urn:demo:idsvr:' + region;
const LIFETIME = { code: 120, access: 300, refresh: 3600 }; // seconds
const SESSION_COOKIE = 'idsvr_session';
const audit = createAudit(region, 'identity');

// --- This region's stores: users, browser sessions, grants (by wrapped-token reference) --------------
const seed = JSON.parse(readFileSync(config.dataFile, 'utf8'));
const users = {};
for (const [name, u] of Object.entries(seed.users)) {
  const salt = randomBytes(16);
  users[name] = {
    username: name,
    name: u.name,
    email: u.email,
    city: u.city,
    salt,
    hash: scryptSync(u.password, salt, 32),
  };
}
const sessions = {}; // session id -> user name
const grants = {}; // ref -> { kind, username, clientId, scope, expiresAt, ... }

function passwordMatches(user, password) {
  return timingSafeEqual(scryptSync(password, user.salt, 32), user.hash);
}

const clients = {};
for (const c of config.clients) {
  clients[c.id] = c;
}

// --- Wrapped tokens ---------------------------------------------------------------------------------
const keys = await generateKeyPair('ES256', { extractable: true });
const kid = region + '-' + randomBytes(4).toString('hex');

async function wrap(typ, lifetime) {
  const ref = randomBytes(18).toString('base64url');
  const jwt = await new SignJWT({ zone: region, ref, typ })
    .setProtectedHeader({ alg: 'ES256', kid })
    .setIssuer(issuer)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + lifetime)
    .sign(keys.privateKey);
  return { jwt, ref };
}

/** The grant a wrapped token of this region refers to, or undefined (bad signature, other region, gone). */
async function unwrap(token, typ) {
  try {
    const verified = await jwtVerify(token, keys.publicKey, { issuer, algorithms: ['ES256'] });
    const claims = verified.payload;
    if (claims.zone !== region || claims.typ !== typ) return undefined;
    const grant = grants[claims.ref];
    if (!grant || grant.kind !== typ || grant.expiresAt < new Date()) return undefined;
    return grant;
  } catch {
    return undefined;
  }
}

// --- The @node-oauth/oauth2-server model ------------------------------------------------------------
function clientView(c) {
  return { id: c.id, grants: c.grants, redirectUris: c.redirectUris };
}

function userView(username) {
  return { id: username, username };
}

function refOf(jwt) {
  return peekWrappedToken(jwt).ref;
}

const model = {
  async getClient(clientId, clientSecret) {
    const c = clients[clientId];
    if (!c || (clientSecret !== null && clientSecret !== undefined && clientSecret !== c.secret)) return null;
    return clientView(c);
  },
  async validateScope(user, client, scope) {
    const allowed = ['profile', 'records'];
    const wanted = scope && scope.length ? scope : allowed;
    return wanted.every(function (s) {
      return allowed.includes(s);
    })
      ? wanted
      : false;
  },
  async generateAuthorizationCode() {
    return (await wrap('code', LIFETIME.code)).jwt;
  },
  async saveAuthorizationCode(code, client, user) {
    grants[refOf(code.authorizationCode)] = {
      kind: 'code',
      username: user.username,
      clientId: client.id,
      scope: code.scope,
      expiresAt: code.expiresAt,
      redirectUri: code.redirectUri,
      codeChallenge: code.codeChallenge,
      codeChallengeMethod: code.codeChallengeMethod,
    };
    return { ...code, client, user };
  },
  async getAuthorizationCode(authorizationCode) {
    const g = await unwrap(authorizationCode, 'code');
    if (!g) return null;
    return {
      authorizationCode,
      expiresAt: g.expiresAt,
      redirectUri: g.redirectUri,
      scope: g.scope,
      client: clientView(clients[g.clientId]),
      user: userView(g.username),
      codeChallenge: g.codeChallenge,
      codeChallengeMethod: g.codeChallengeMethod,
    };
  },
  async revokeAuthorizationCode(code) {
    return delete grants[refOf(code.authorizationCode)];
  },
  async generateAccessToken() {
    return (await wrap('access', LIFETIME.access)).jwt;
  },
  async generateRefreshToken() {
    return (await wrap('refresh', LIFETIME.refresh)).jwt;
  },
  async saveToken(token, client, user) {
    const accessRef = refOf(token.accessToken);
    const refreshRef = token.refreshToken ? refOf(token.refreshToken) : undefined;
    const common = { username: user.username, clientId: client.id, scope: token.scope, accessRef, refreshRef };
    grants[accessRef] = { kind: 'access', expiresAt: token.accessTokenExpiresAt, ...common };
    if (refreshRef) grants[refreshRef] = { kind: 'refresh', expiresAt: token.refreshTokenExpiresAt, ...common };
    return { ...token, client, user };
  },
  async getAccessToken(accessToken) {
    const g = await unwrap(accessToken, 'access');
    if (!g) return null;
    return {
      accessToken,
      accessTokenExpiresAt: g.expiresAt,
      scope: g.scope,
      client: clientView(clients[g.clientId]),
      user: userView(g.username),
    };
  },
  async getRefreshToken(refreshToken) {
    const g = await unwrap(refreshToken, 'refresh');
    if (!g) return null;
    return {
      refreshToken,
      refreshTokenExpiresAt: g.expiresAt,
      scope: g.scope,
      client: clientView(clients[g.clientId]),
      user: userView(g.username),
    };
  },
  async revokeToken(token) {
    const ref = refOf(token.refreshToken);
    const g = grants[ref];
    if (!g) return false;
    delete grants[ref];
    delete grants[g.accessRef];
    return true;
  },
};

const oauth = new OAuth2Server({
  model,
  authorizationCodeLifetime: LIFETIME.code,
  accessTokenLifetime: LIFETIME.access,
  refreshTokenLifetime: LIFETIME.refresh,
});

function oauthRequest(req, url, body) {
  return new Request({
    method: req.method,
    headers: req.headers,
    query: Object.fromEntries(url.searchParams),
    body: body || {},
  });
}

function sendOAuthResponse(res, response) {
  const headers = { 'cache-control': 'no-store' };
  for (const [name, value] of Object.entries(response.headers)) headers[name.toLowerCase()] = value;
  const hasBody = response.body && Object.keys(response.body).length > 0;
  if (hasBody) headers['content-type'] = 'application/json';
  res.writeHead(response.status, headers);
  res.end(hasBody ? JSON.stringify(response.body) : undefined);
}

function sendOAuthError(res, e) {
  if (!(e instanceof OAuthError)) throw e;
  sendJson(res, e.code, { error: e.name, error_description: e.message });
}

/** Authenticates a confidential client (HTTP Basic or form), as the token endpoint does. */
function authenticatedClient(req, form) {
  let id = form.client_id;
  let secret = form.client_secret;
  const basic = /^Basic (.+)$/i.exec(req.headers.authorization || '');
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    id = decodeURIComponent(decoded.slice(0, colon));
    secret = decodeURIComponent(decoded.slice(colon + 1));
  }
  const c = clients[id];
  return c && secret === c.secret ? c : undefined;
}

function tokenDetails(token) {
  const peek = token ? peekWrappedToken(token) : undefined;
  return peek ? { tokenRef: peek.ref, tokenZone: peek.zone } : {};
}

// --- Pages ------------------------------------------------------------------------------------------
function loginPage(returnTo, error) {
  return page(
    'Sign in — served by region ' + region,
    region,
    '<h2>Sign in</h2><p>Step 1 of 2: your user name. Any region can answer this; your password is checked only in your home region.</p>' +
      (error ? '<p class="err">' + escapeHtml(error) + '</p>' : '') +
      '<form method="post" action="/login"><input type="hidden" name="return" value="' +
      escapeHtml(returnTo) +
      '">' +
      '<label>User name <input name="username" autocomplete="username" autofocus></label>' +
      '<button type="submit">Next</button></form>',
  );
}

function passwordPage(username, returnTo, error) {
  return page(
    'Sign in — home region ' + region,
    region,
    '<h2>Welcome back, ' +
      escapeHtml(username) +
      '</h2><p>Step 2 of 2: your home region <b>' +
      region +
      '</b> checks your password.</p>' +
      (error ? '<p class="err">' + escapeHtml(error) + '</p>' : '') +
      '<form method="post" action="/login/password"><input type="hidden" name="return" value="' +
      escapeHtml(returnTo) +
      '">' +
      '<input type="hidden" name="username" value="' +
      escapeHtml(username) +
      '">' +
      '<label>Password <input name="password" type="password" autocomplete="current-password" autofocus></label>' +
      '<button type="submit">Sign in</button></form>',
  );
}

/** Only our own authorize endpoint is a place to return to after login (no open redirect). */
function safeReturn(value) {
  return typeof value === 'string' && value.startsWith('/oauth/authorize?') ? value : '/login';
}

async function homeRegionOf(username) {
  const res = await fetch(config.directoryUrl + '/homes/' + encodeURIComponent(username));
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error('directory answered ' + res.status);
  return (await res.json()).region;
}

function sessionUser(req) {
  const id = cookies(req)[SESSION_COOKIE];
  return id ? sessions[id] : undefined;
}

// --- Routes -----------------------------------------------------------------------------------------
async function handle(req, res) {
  const url = new URL(req.url, 'http://idsvr');
  const route = req.method + ' ' + url.pathname;
  const form = req.method === 'POST' ? parseForm(await readBody(req)) : {};

  if (route === 'GET /oauth/authorize') {
    const username = sessionUser(req);
    if (!username || !users[username]) {
      audit.add(req, 'authorize-needs-login');
      return redirect(res, '/login?return=' + encodeURIComponent(url.pathname + url.search));
    }
    const response = new Response();
    try {
      await oauth.authorize(oauthRequest(req, url), response, {
        authenticateHandler: {
          handle: function () {
            return userView(username);
          },
        },
      });
      audit.add(req, 'code-issued', {
        user: username,
        ...tokenDetails(new URL(response.headers.location).searchParams.get('code')),
      });
    } catch (e) {
      if (!(e instanceof OAuthError)) throw e;
      audit.add(req, 'authorize-error', { user: username, error: e.name });
      if (!response.headers.location) return sendOAuthError(res, e);
    }
    return sendOAuthResponse(res, response);
  }

  if (route === 'GET /login') {
    audit.add(req, 'login-page');
    return sendHtml(res, 200, loginPage(safeReturn(url.searchParams.get('return'))));
  }

  if (route === 'POST /login') {
    const username = (form.username || '').trim().toLowerCase();
    const returnTo = safeReturn(form.return);
    const home = username ? await homeRegionOf(username) : undefined;
    // The name lookup is all a non-home region ever learns about a user.
    audit.add(req, 'name-lookup', { user: username, home: home || null });
    if (!home) return sendHtml(res, 200, loginPage(returnTo, 'Unknown user name.'));
    // The zone transfer: from here on the gateways route this browser to the home region.
    return redirect(
      res,
      '/login/password?login_hint=' + encodeURIComponent(username) + '&return=' + encodeURIComponent(returnTo),
      {
        'set-cookie': setCookie('zone', home, '; Max-Age=31536000'),
      },
    );
  }

  if (route === 'GET /login/password') {
    const username = url.searchParams.get('login_hint') || '';
    const returnTo = safeReturn(url.searchParams.get('return'));
    if (!users[username]) {
      // Not a user of this region: the zone cookie is stale or missing. Start over with the name.
      audit.add(req, 'password-page-not-home');
      return redirect(res, '/login?return=' + encodeURIComponent(returnTo));
    }
    audit.add(req, 'password-page', { user: username });
    return sendHtml(res, 200, passwordPage(username, returnTo));
  }

  if (route === 'POST /login/password') {
    const user = users[form.username];
    const returnTo = safeReturn(form.return);
    if (!user) {
      audit.add(req, 'password-not-home');
      return redirect(res, '/login?return=' + encodeURIComponent(returnTo));
    }
    if (!passwordMatches(user, form.password || '')) {
      audit.add(req, 'password-wrong', { user: user.username });
      return sendHtml(res, 200, passwordPage(user.username, returnTo, 'Wrong password.'));
    }
    const sid = randomBytes(18).toString('base64url');
    sessions[sid] = user.username;
    audit.add(req, 'password-ok', { user: user.username });
    return redirect(res, returnTo, { 'set-cookie': setCookie(SESSION_COOKIE, sid) });
  }

  if (route === 'POST /oauth/token') {
    const response = new Response();
    const grantToken = form.grant_type === 'refresh_token' ? form.refresh_token : form.code;
    try {
      const token = await oauth.token(oauthRequest(req, url, form), response);
      audit.add(req, 'token:' + form.grant_type, { user: token.user.username, ...tokenDetails(grantToken) });
    } catch (e) {
      if (!(e instanceof OAuthError)) throw e;
      audit.add(req, 'token-error:' + form.grant_type, { error: e.name, ...tokenDetails(grantToken) });
      return sendOAuthError(res, e);
    }
    return sendOAuthResponse(res, response);
  }

  if (route === 'POST /oauth/revoke') {
    // RFC 7009: revoking either token of a grant ends the whole grant; unknown tokens are not an error.
    if (!authenticatedClient(req, form)) return sendJson(res, 401, { error: 'invalid_client' });
    const grant = (await unwrap(form.token || '', 'refresh')) || (await unwrap(form.token || '', 'access'));
    if (grant) {
      delete grants[grant.accessRef];
      delete grants[grant.refreshRef];
    }
    audit.add(req, 'revoke', { user: grant ? grant.username : undefined, ...tokenDetails(form.token) });
    return sendJson(res, 200, {});
  }

  if (route === 'POST /oauth/introspect') {
    // For this region's APIs (RFC 7662), called inside the region, not through the gateways.
    if (!authenticatedClient(req, form)) return sendJson(res, 401, { error: 'invalid_client' });
    const grant = await unwrap(form.token || '', 'access');
    audit.add(req, 'introspect', { user: grant ? grant.username : undefined, ...tokenDetails(form.token) });
    if (!grant) return sendJson(res, 200, { active: false });
    return sendJson(res, 200, {
      active: true,
      sub: grant.username,
      username: grant.username,
      client_id: grant.clientId,
      scope: (grant.scope || []).join(' '),
      zone: region,
      exp: Math.floor(grant.expiresAt.getTime() / 1000),
    });
  }

  if (route === 'GET /userinfo') {
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization || '');
    const grant = bearer ? await unwrap(bearer[1], 'access') : undefined;
    audit.add(req, 'userinfo', { user: grant ? grant.username : undefined, ...tokenDetails(bearer && bearer[1]) });
    if (!grant)
      return sendJson(res, 401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
    const u = users[grant.username];
    return sendJson(res, 200, {
      sub: u.username,
      preferred_username: u.username,
      name: u.name,
      email: u.email,
      zone: region,
    });
  }

  if (route === 'GET /logout') {
    const sid = cookies(req)[SESSION_COOKIE];
    audit.add(req, 'logout', { user: sid ? sessions[sid] : undefined });
    if (sid) delete sessions[sid];
    const back = url.searchParams.get('post_logout_redirect_uri');
    const client = clients[url.searchParams.get('client_id')];
    const allowed = client && client.postLogoutRedirectUris.includes(back);
    const clear = setCookie(SESSION_COOKIE, '', '; Max-Age=0');
    if (allowed) return redirect(res, back, { 'set-cookie': clear });
    return sendHtml(res, 200, page('Signed out — region ' + region, region, '<p>You are signed out.</p>'), {
      'set-cookie': clear,
    });
  }

  if (route === 'GET /.well-known/jwks.json') {
    // This region's public key, for this region's APIs.
    const jwk = await exportJWK(keys.publicKey);
    return sendJson(res, 200, { keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] });
  }

  if (route === 'GET /_records') {
    // For the demo and the e2e test: what this server served, and whose data it holds.
    return sendJson(res, 200, {
      region,
      service: 'identity',
      audit: audit.entries,
      holds: {
        users: Object.keys(users),
        sessions: Object.values(sessions),
        grants: Object.values(grants).map(function (g) {
          return { kind: g.kind, user: g.username };
        }),
      },
    });
  }

  audit.add(req, 'not-found');
  return sendJson(res, 404, { error: 'not_found' });
}

await listen('identity-' + region, config.host, config.port, handle);
