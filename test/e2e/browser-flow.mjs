// A real browser (Debian's chromium, driven by playwright-core) signs a us user in to the client web app,
// whose one entry URL is the global entry (HTTPS), entering at gateway eu. The entry passes TLS through,
// so chromium speaks HTTP/2 with gateway eu itself: its access log must say HTTP/2.0 for every page of
// the login. The services' own records must show that every request of that user was served in us and
// that eu holds nothing about the user beyond the name lookup.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, entries, gatewayOf, readRecords } from './records.mjs';

export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The gateway's access-log lines (format region_router) of the browser's own pages: the login. */
const LOGIN_PAGES = /"(GET|POST) \/login(\/password)? (\S+)" /;

export async function browserFlow(platform, user, screenshotPath) {
  assert.equal(platform.enter, 'eu', 'the global entry must enter at gateway eu for this test');
  const since = new Date().toISOString();
  const shots = join(screenshotPath, '..'); // the login stages go next to the signed-in page
  mkdirSync(shots, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'njs-region-router-chromium-'));
  const accessBefore = platform.accessLog('gateway-eu').length;
  // launchPersistentContext is how playwright takes a --user-data-dir: a fresh one per run. Chromium trusts
  // the gateways' throw-away certificate by its public key, for this run only; every other certificate
  // is checked as usual.
  const args = FLAGS.concat(['--ignore-certificate-errors-spki-list=' + platform.spkiSha256]);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    viewport: { width: 1000, height: 900 },
  });
  try {
    const tab = context.pages()[0] || (await context.newPage());
    tab.setDefaultTimeout(15000);
    await tab.goto(platform.client + '/');
    await tab.click('#signin');

    // Stage 1, served by whichever region the entry reached: eu, with no zone cookie yet.
    await tab.waitForURL(/\/login\?/);
    assert.match(await tab.title(), /served by region eu/);
    await tab.fill('input[name=username]', user.name);
    await tab.screenshot({ path: join(shots, 'login-name.png') });
    await tab.click('button[type=submit]');

    // The zone transfer: the zone cookie now routes this browser to the home region.
    await tab.waitForURL(/\/login\/password\?/);
    assert.match(await tab.title(), new RegExp('home region ' + user.home));
    const zone = (await context.cookies(platform.entry.identity)).find(function (c) {
      return c.name === 'zone';
    });
    assert.ok(zone && zone.value === user.home && zone.httpOnly, 'an HTTP-only zone cookie naming ' + user.home);
    await tab.fill('input[name=password]', user.password);
    await tab.screenshot({ path: join(shots, 'login-password.png') });
    await tab.click('button[type=submit]');

    await tab.waitForURL(platform.client + '/');
    await tab.waitForSelector('#signed-in');
    assert.equal(await tab.textContent('#username'), user.name);
    assert.equal(await tab.textContent('#home-region'), user.home);
    assert.equal(await tab.textContent('#api-region'), user.home);

    // Each button posts and comes back to a fresh page: wait for the new page's activity line.
    const apiAnswers = function (n) {
      return tab.waitForFunction(function (want) {
        const log = document.querySelector('#activity');
        return log !== null && (log.textContent.match(/HTTP 200 from region/g) || []).length >= want;
      }, n);
    };
    await apiAnswers(1);
    await tab.click('#call-api');
    await apiAnswers(2);
    await tab.click('#refresh');
    await apiAnswers(3);
    const activity = await tab.textContent('#activity');
    assert.match(activity, new RegExp('tokens refreshed by region ' + user.home));
    assert.equal(
      (activity.match(new RegExp('API /api/records: HTTP 200 from region ' + user.home, 'g')) || []).length,
      3,
      activity,
    );

    await tab.screenshot({ path: screenshotPath, fullPage: true });

    await tab.click('#signout');
    await tab.waitForURL(platform.client + '/');
    await tab.waitForSelector('#signin');
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }

  // --- The protocol: chromium negotiated HTTP/2 with gateway eu through the entry (TLS passed through);
  // the client app's back-channel (Node's fetch) speaks HTTP/1.1 over TLS to the same listener.
  const access = platform.accessLog('gateway-eu').slice(accessBefore).split('\n');
  const loginLines = access.filter(function (l) {
    return LOGIN_PAGES.test(l);
  });
  assert.ok(loginLines.length >= 4, "the login pages in gateway eu's access log:\n" + access.join('\n'));
  assert.deepEqual(
    loginLines.filter(function (l) {
      return LOGIN_PAGES.exec(l)[3] !== 'HTTP/2.0';
    }),
    [],
    'login pages not served over HTTP/2',
  );
  const tokenLines = access.filter(function (l) {
    return /"POST \/oauth\/token /.test(l);
  });
  assert.ok(
    tokenLines.length >= 1 &&
      tokenLines.every(function (l) {
        return / HTTP\/1\.1" /.test(l);
      }),
    'token requests over HTTP/1.1:\n' + tokenLines.join('\n'),
  );

  // --- The services' own records ---
  const records = await readRecords(platform, since);
  const home = user.home;
  const other = home === 'eu' ? 'us' : 'eu';
  const ofUser = entries(records, function (e) {
    return e.user === user.name && e.service !== 'directory';
  });
  const refs = ofUser
    .map(function (e) {
      return e.tokenRef;
    })
    .filter(Boolean);
  assert.ok(refs.length >= 4, 'wrapped tokens of ' + user.name + ' in the records');
  const attributed = entries(records, function (e) {
    return e.service !== 'directory' && (e.user === user.name || refs.includes(e.tokenRef));
  });

  // Everything of this user, except the name lookup, was served in the home region, having entered at eu.
  const outside = attributed.filter(function (e) {
    return e.region !== home && e.event !== 'name-lookup';
  });
  assert.deepEqual(outside.map(describe), [], 'requests of ' + user.name + ' served outside ' + home);
  const notViaEu = attributed.filter(function (e) {
    return gatewayOf(platform, e) !== 'eu' && e.event !== 'introspect';
  });
  assert.deepEqual(notViaEu.map(describe), [], 'requests of ' + user.name + ' that did not enter at gateway eu');
  const events = attributed
    .filter(function (e) {
      return e.region === home;
    })
    .map(function (e) {
      return e.service + ':' + e.event;
    });
  for (const expected of [
    'identity:password-page',
    'identity:password-ok',
    'identity:code-issued',
    'identity:token:authorization_code',
    'identity:userinfo',
    'api:records',
    'identity:token:refresh_token',
    'identity:revoke',
    'identity:logout',
  ]) {
    assert.ok(events.includes(expected), expected + ' missing from ' + home + "'s records; saw " + events.join(', '));
  }
  assert.equal(
    events.filter(function (e) {
      return e === 'api:records';
    }).length,
    3,
    'three API calls, all answered by ' + home,
  );

  // What the other region holds about the user: one name lookup, nothing else.
  const lookups = attributed.filter(function (e) {
    return e.region === other;
  });
  assert.deepEqual(
    lookups.map(function (e) {
      return e.event + ' ' + e.user;
    }),
    ['name-lookup ' + user.name],
  );
  const otherIdentity = records['identity-' + other].holds;
  assert.ok(!otherIdentity.users.includes(user.name), other + ' has no user record for ' + user.name);
  assert.ok(!otherIdentity.sessions.includes(user.name), other + ' has no session for ' + user.name);
  assert.deepEqual(
    otherIdentity.grants.filter(function (g) {
      return g.user === user.name;
    }),
    [],
    other + ' has no grant of ' + user.name,
  );
  assert.ok(!records['api-' + other].holds.users.includes(user.name), 'api-' + other + ' has no data of ' + user.name);
  assert.equal(records['api-' + other].audit.length, 0, 'api-' + other + ' served nothing during the sign-in');
  // The home region did hold the user's data, and the directory answered the lookup with the home.
  assert.ok(records['identity-' + home].holds.users.includes(user.name));
  const homeLookup = records.directory.audit.filter(function (e) {
    return e.user === user.name;
  });
  assert.deepEqual(
    homeLookup.map(function (e) {
      return e.home;
    }),
    [home],
  );
  return { attributed: attributed.length };
}
