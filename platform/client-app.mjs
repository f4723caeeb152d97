// A small client web app (a confidential OAuth client with PKCE). It knows one entry URL and nothing
// about regions: it signs in, shows the user, calls the API, refreshes the tokens and signs out, and
// the gateways route each of those requests to the user's home region.
//
// Run by platform/launch.mjs: node platform/client-app.mjs (config in $PLATFORM_SERVICE_CONFIG)
import { randomBytes } from 'node:crypto';
import {
  serviceConfig,
  cookies,
  escapeHtml,
  listen,
  page,
  peekWrappedToken,
  redirect,
  sendHtml,
  setCookie,
} from './lib/http.mjs';
import { createOAuthClient } from './lib/oauth-client.mjs';

const config = serviceConfig();
const SESSION_COOKIE = 'demo_client_session';
const oauthClient = createOAuthClient(config.entry, {
  id: config.client.id,
  secret: config.client.secret,
  redirectUri: config.url + '/callback',
});
const sessions = {}; // session id -> { pending, tokens, user, records, activity }

function sessionOf(req, res) {
  const id = cookies(req)[SESSION_COOKIE];
  if (id && sessions[id]) return sessions[id];
  const fresh = randomBytes(18).toString('base64url');
  sessions[fresh] = { activity: [] };
  res.setHeader('set-cookie', setCookie(SESSION_COOKIE, fresh));
  return sessions[fresh];
}

function note(session, text) {
  session.activity.push(new Date().toISOString().slice(11, 19) + '  ' + text);
}

function tokenLine(label, token) {
  const claims = peekWrappedToken(token);
  return (
    '<tr><td>' +
    label +
    '</td><td><code>zone=' +
    escapeHtml(claims.zone) +
    ' ref=' +
    escapeHtml(claims.ref.slice(0, 10)) +
    '…</code></td></tr>'
  );
}

function home(session) {
  if (!session.tokens) {
    return page(
      'Demo client',
      '',
      '<h2>Not signed in</h2><p>This app knows one entry URL, <code>' +
        escapeHtml(config.entry.identity) +
        '</code> (' +
        escapeHtml(config.entryName) +
        '), and nothing about regions.</p>' +
        '<form method="get" action="/signin"><button id="signin">Sign in</button></form>' +
        activity(session),
    );
  }
  const u = session.user;
  const rows = session.records.body.records
    ? session.records.body.records
        .map(function (r) {
          return (
            '<tr><td>' +
            escapeHtml(r.id) +
            '</td><td>' +
            escapeHtml(r.item) +
            '</td><td>' +
            escapeHtml(r.amount) +
            '</td></tr>'
          );
        })
        .join('')
    : '<tr><td colspan="3">' + escapeHtml(JSON.stringify(session.records.body)) + '</td></tr>';
  return page(
    'Demo client — signed in',
    '',
    '<h2 id="signed-in">Signed in as ' +
      escapeHtml(u.name) +
      ' (<span id="username">' +
      escapeHtml(u.preferred_username) +
      '</span>)</h2>' +
      '<table><tr><td>E-mail</td><td>' +
      escapeHtml(u.email) +
      '</td></tr>' +
      '<tr><td>Home region</td><td id="home-region">' +
      escapeHtml(u.zone) +
      '</td></tr>' +
      '<tr><td>Entry</td><td>' +
      escapeHtml(config.entry.identity) +
      ' (' +
      escapeHtml(config.entryName) +
      ')</td></tr>' +
      tokenLine('Access token', session.tokens.access_token) +
      tokenLine('Refresh token', session.tokens.refresh_token) +
      '</table>' +
      '<h3>Records from the API (answered by region <span id="api-region">' +
      escapeHtml(session.records.body.region || '?') +
      '</span>)</h3>' +
      '<table id="records">' +
      rows +
      '</table>' +
      '<p><form method="post" action="/call-api" style="display:inline"><button id="call-api">Call API</button></form> ' +
      '<form method="post" action="/refresh" style="display:inline"><button id="refresh">Refresh tokens</button></form> ' +
      '<form method="post" action="/signout" style="display:inline"><button id="signout">Sign out</button></form></p>' +
      activity(session),
  );
}

function activity(session) {
  return '<h3>Activity</h3><pre id="activity">' + escapeHtml(session.activity.join('\n') || '(none)') + '</pre>';
}

async function loadUserAndRecords(session) {
  session.user = await oauthClient.userinfo(session.tokens.access_token);
  note(session, 'userinfo: ' + session.user.preferred_username + ' (region ' + session.user.zone + ')');
  await callApi(session);
}

async function callApi(session) {
  session.records = await oauthClient.records(session.tokens.access_token);
  note(session, 'API /api/records: HTTP ' + session.records.status + ' from region ' + session.records.body.region);
}

async function handle(req, res) {
  const url = new URL(req.url, config.url);
  const session = sessionOf(req, res);
  const route = req.method + ' ' + url.pathname;

  if (route === 'GET /') return sendHtml(res, 200, home(session));

  if (route === 'GET /signin') {
    const start = await oauthClient.start();
    session.pending = start.pending;
    note(session, 'sign-in: redirected to ' + config.entry.identity + '/oauth/authorize');
    return redirect(res, start.url);
  }

  if (route === 'GET /callback') {
    if (!session.pending) return redirect(res, '/');
    try {
      session.tokens = await oauthClient.finish(url.href, session.pending);
      note(session, 'code redeemed: tokens from region ' + peekWrappedToken(session.tokens.access_token).zone);
      await loadUserAndRecords(session);
    } catch (e) {
      note(session, 'sign-in failed: ' + (e.error || e.message));
      session.tokens = undefined;
    }
    session.pending = undefined;
    return redirect(res, '/');
  }

  if (!session.tokens) return redirect(res, '/');

  if (route === 'POST /call-api') {
    await callApi(session);
    return redirect(res, '/');
  }

  if (route === 'POST /refresh') {
    session.tokens = await oauthClient.refresh(session.tokens.refresh_token);
    note(session, 'tokens refreshed by region ' + peekWrappedToken(session.tokens.access_token).zone);
    await callApi(session);
    return redirect(res, '/');
  }

  if (route === 'POST /signout') {
    await oauthClient.revoke(session.tokens.refresh_token);
    note(session, 'signed out: grant revoked, identity session ended');
    session.tokens = undefined;
    session.user = undefined;
    return redirect(res, oauthClient.logoutUrl(config.url + '/'));
  }

  return redirect(res, '/');
}

await listen('client', config.host, config.port, handle);
