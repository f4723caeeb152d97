// A minimal user agent for the library flow: follows redirects by hand, keeps cookies per host and fills
// in the two login forms, so that every request is one real HTTP exchange through the gateways.
import assert from 'node:assert/strict';

export function createUserAgent() {
  const jars = {}; // host -> { name: value }
  const visited = []; // every URL requested, for the test's messages

  function cookieHeader(url) {
    const jar = jars[url.host] || {};
    return Object.entries(jar)
      .map(function ([k, v]) {
        return k + '=' + v;
      })
      .join('; ');
  }

  function keep(url, response) {
    const jar = (jars[url.host] = jars[url.host] || {});
    for (const c of response.headers.getSetCookie()) {
      const first = c.split(';')[0];
      const eq = first.indexOf('=');
      const name = first.slice(0, eq).trim();
      if (/;\s*max-age=0/i.test(c)) delete jar[name];
      else jar[name] = first.slice(eq + 1).trim();
    }
  }

  async function request(href, init = {}) {
    const url = new URL(href);
    visited.push((init.method || 'GET') + ' ' + url.href);
    const headers = { ...(init.headers || {}) };
    const cookie = cookieHeader(url);
    if (cookie) headers.cookie = cookie;
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    keep(url, response);
    return { url, response, text: await response.text() };
  }

  return {
    visited,
    cookies: function (host) {
      return { ...(jars[host] || {}) };
    },
    /** As if an earlier visit had left this cookie. */
    preset: function (host, name, value) {
      (jars[host] = jars[host] || {})[name] = value;
    },

    /**
     * Starts at the authorization URL, signs in with user name and password through the two-stage login,
     * and returns the callback URL (the client's redirect URI with code and state).
     */
    async signIn(authorizationUrl, redirectUri, username, password) {
      let next = { method: 'GET', href: authorizationUrl };
      for (let hop = 0; hop < 12; hop++) {
        const r = await request(
          next.href,
          next.method === 'POST'
            ? {
                method: 'POST',
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
                body: new URLSearchParams(next.form).toString(),
              }
            : {},
        );
        if (r.response.status === 302) {
          const location = new URL(r.response.headers.get('location'), r.url).href;
          if (location.startsWith(redirectUri)) return location;
          next = { method: 'GET', href: location };
          continue;
        }
        assert.equal(
          r.response.status,
          200,
          'unexpected ' + r.response.status + ' at ' + r.url.href + ': ' + r.text.slice(0, 300),
        );
        const returnTo = /name="return" value="([^"]*)"/.exec(r.text);
        assert.ok(returnTo, 'not a login page at ' + r.url.href);
        const ret = returnTo[1]
          .replace(/&amp;/g, '&')
          .replace(/&quot;/g, '"')
          .replace(/&#39;/g, "'")
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>');
        if (r.url.pathname === '/login') {
          next = { method: 'POST', href: new URL('/login', r.url).href, form: { username, return: ret } };
        } else if (r.url.pathname === '/login/password') {
          next = {
            method: 'POST',
            href: new URL('/login/password', r.url).href,
            form: { username, password, return: ret },
          };
        } else {
          assert.fail('unexpected page ' + r.url.href);
        }
      }
      assert.fail('sign-in did not reach the redirect URI; visited:\n' + visited.join('\n'));
    },
  };
}
