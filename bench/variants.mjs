// What is measured: the tokens and requests, the nginx processes that serve them, and the variants (one
// kind of request sent to one server). Shared by the timing run (bench/run.mjs) and the instruction counts
// (bench/instructions.mjs), which start the same processes in their own ways.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, SignJWT } from 'jose';
import { ROOT } from '../dev/paths.mjs';
import { freePort } from '../dev/ports.mjs';
import { hasSharedDict } from '../dev/runtimes.mjs';
import { renderGateway, renderLua, renderPlain, renderReferences, renderRegions } from './configs.mjs';

/** Token sizes: total length of the compact JWS, in bytes. */
export const SIZES = [
  { id: '350b', bytes: 350, label: '350 B' },
  { id: '1k', bytes: 1024, label: '1 KB' },
  { id: '4k', bytes: 4096, label: '4 KB' },
  { id: '8k', bytes: 8192, label: '8 KB' },
];

/**
 * An ES256-signed JWT of `bytes` characters (give or take one: base64url grows in steps), whose `zone`
 * claim names us. The default region is eu, so only a token that was read routes to us. An opaque `ref`
 * claim pads it, as wrapped tokens carry a reference.
 */
export async function mintToken(bytes, privateKey) {
  const now = Math.floor(Date.now() / 1000);
  const filler = randomBytes(bytes).toString('base64url');
  const sign = function (n) {
    return new SignJWT({ iss: 'https://login.example.com', sub: 'opaque-ref', zone: 'us', ref: filler.slice(0, n) })
      .setProtectedHeader({ alg: 'ES256', kid: 'bench' })
      .setIssuedAt(now)
      .setExpirationTime(now + 86400)
      .sign(privateKey);
  };
  const bare = (await sign(0)).length;
  if (bare > bytes) throw new Error('a token without padding is already ' + bare + ' bytes');
  // four base64url characters per three bytes of payload
  let n = Math.floor(((bytes - bare) * 3) / 4);
  let token = await sign(n);
  while (token.length < bytes - 1) token = await sign(++n);
  while (token.length > bytes + 1) token = await sign(--n);
  return token;
}

/** An authorization-code token request as an OAuth client sends it (RFC 6749 4.1.3, PKCE). */
function formBody(token) {
  return (
    'grant_type=authorization_code&code=' +
    token +
    '&redirect_uri=https%3A%2F%2Fapp.example.com%2Foauth%2Fcallback&client_id=web-app' +
    '&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
  );
}

// A browser's Cookie header: the zone cookie among a session and consent cookies.
const COOKIE =
  'Cookie: _ga=GA1.2.1234567890.1700000000; zone=us; session=Fe26.2**0cdd6a1b8e4d2c55a1b9; consent=analytics%3Dno';
const FORM = 'Content-Type: application/x-www-form-urlencoded';

/** Tokens and form bodies (written to `work`) per size. */
export async function makeRequests(sizes, work) {
  const { privateKey } = await generateKeyPair('ES256');
  const out = {};
  for (const s of sizes) {
    const token = await mintToken(s.bytes, privateKey);
    const bodyFile = join(work, 'form-' + s.id + '.txt');
    writeFileSync(bodyFile, formBody(token));
    out[s.id] = { token, bodyFile, bytes: token.length };
  }
  return out;
}

async function ports(names) {
  const out = {};
  for (const n of names) out[n] = await freePort();
  return out;
}

/**
 * The processes and variants for one runtime.
 * @param {object} opts prepared (bench/runtime.mjs prepareRuntime), sizes (SIZES entries), requests
 *   (makeRequests), regionTables (2, or also 10 and 50 with --all), baselineRoot (--baseline), work (temp
 *   directory), upstreamPorts, floors (include the floor variants)
 * @returns {Promise<{ processes: object[], variants: object[] }>}
 *   processes: { name, image, ports, render(placement) } where placement is { cpu } or { single: true };
 *   variants: { id, label, kind, path, size, process, url, headers, bodyFile }
 */
export async function plan(opts) {
  const prepared = opts.prepared;
  const common = { upstreamPorts: opts.upstreamPorts, engineDirective: prepared.engineDirective };
  const processes = [];
  const variants = [];
  const processOf = async function (name, image, portNames, render, extra) {
    const proc = { name, image, ports: await ports(portNames) };
    proc.render = function (placement) {
      return render(Object.assign({ ports: proc.ports }, extra, common, placement));
    };
    processes.push(proc);
    return proc;
  };
  const add = function (proc, server, v) {
    v.process = proc.name;
    v.url = 'http://127.0.0.1:' + proc.ports[server] + (v.bodyFile ? '/oauth/token' : '/oauth/userinfo');
    variants.push(v);
  };
  const bearer = function (size) {
    return ['Authorization: Bearer ' + opts.requests[size.id].token];
  };
  /** A bearer GET and a token POST of one size, sent to `servers` [bearer, form] of `proc`. */
  const tokenPair = function (proc, servers, kind, label, size, suffix) {
    const s = '_' + size.id + (suffix || '');
    add(proc, servers[0], {
      id: kind + '_bearer' + s,
      label: label + 'bearer GET, ' + size.label,
      kind,
      path: 'bearer',
      size: size.id,
      headers: bearer(size),
    });
    add(proc, servers[1], {
      id: kind + '_form' + s,
      label: label + 'token POST, ' + size.label,
      kind,
      path: 'form',
      size: size.id,
      headers: [FORM],
      bodyFile: opts.requests[size.id].bodyFile,
    });
  };
  const one =
    opts.sizes.find(function (s) {
      return s.id === '1k';
    }) || opts.sizes[0];
  const GATEWAY_PORTS = ['identity', 'api', 'static', 'map'];

  for (const regions of opts.regionTables) {
    const suffix = regions === 2 ? '' : '_r' + regions;
    const regionsFile = regions === 2 ? undefined : join(opts.work, 'regions-' + regions + '.conf');
    if (regionsFile) writeFileSync(regionsFile, renderRegions(regions));
    const gw = await processOf('gateway' + suffix, prepared.tag, GATEWAY_PORTS, renderGateway, {
      regions,
      regionsFile,
    });
    const tableNote = regions === 2 ? '' : regions + ' regions, ';
    add(gw, 'map', {
      id: 'map' + suffix,
      label: 'map $cookie_zone' + (suffix ? ', ' + regions + ' regions' : ''),
      kind: 'map',
      path: 'cookie',
      headers: [COOKIE],
    });
    add(gw, 'identity', {
      id: 'cookie' + suffix,
      label: 'router: ' + tableNote + 'cookie GET',
      kind: 'router',
      path: 'cookie',
      headers: [COOKIE],
    });
    for (const size of regions === 2 ? opts.sizes : [one]) {
      if (regions === 2) tokenPair(gw, ['static', 'static'], 'static', 'static, token not read: ', size);
      tokenPair(gw, ['api', 'identity'], 'router', 'router: ' + tableNote, size, suffix);
    }
  }
  // What counting costs (nginx/metrics-http.conf), where there is a shared dictionary: the same gateway
  // with the metrics include, against `cookie` and `router_bearer_1k` above.
  if (hasSharedDict(prepared.runtime.njs, prepared.runtime.engine)) {
    const counted = await processOf('gateway_metrics', prepared.tag, GATEWAY_PORTS, renderGateway, {
      metrics: true,
    });
    add(counted, 'identity', {
      id: 'cookie_metrics',
      label: 'router with metrics: cookie GET',
      kind: 'metrics',
      path: 'cookie',
      headers: [COOKIE],
    });
    add(counted, 'api', {
      id: 'router_bearer_' + one.id + '_metrics',
      label: 'router with metrics: bearer GET, ' + one.label,
      kind: 'metrics',
      path: 'bearer',
      size: one.id,
      headers: bearer(one),
    });
  }
  if (opts.baselineRoot) {
    const base = await processOf('baseline', prepared.tag, GATEWAY_PORTS, renderGateway, { root: opts.baselineRoot });
    const label = 'router at ' + opts.baselineRef + ': ';
    add(base, 'identity', {
      id: 'cookie_baseline',
      label: label + 'cookie GET',
      kind: 'baseline',
      path: 'cookie',
      headers: [COOKIE],
    });
    for (const size of opts.sizes) tokenPair(base, ['api', 'identity'], 'router', label, size, '_baseline');
  }

  const refs = await processOf(
    'references',
    prepared.tag,
    ['minimalBearer', 'minimalForm', 'floorJsSet', 'floorJsContent'],
    renderReferences,
    { benchDir: join(ROOT, 'bench') },
  );
  for (const size of opts.sizes)
    tokenPair(refs, ['minimalBearer', 'minimalForm'], 'minimal', 'minimal decoder: ', size);
  if (opts.floors) {
    add(refs, 'floorJsSet', {
      id: 'floor_js_set',
      label: 'floor: js_set returning a constant, ' + one.label + ' bearer',
      kind: 'floor',
      path: 'bearer',
      size: one.id,
      headers: bearer(one),
    });
    add(refs, 'floorJsContent', {
      id: 'floor_js_content',
      label: 'floor: js_content + internalRedirect, ' + one.label + ' form',
      kind: 'floor',
      path: 'form',
      size: one.id,
      headers: [FORM],
      bodyFile: opts.requests[one.id].bodyFile,
    });
  }
  if (prepared.lua.available) {
    const lua = await processOf('lua', prepared.lua.tag, ['luaBearer', 'luaForm'], renderLua, {});
    for (const size of opts.sizes) tokenPair(lua, ['luaBearer', 'luaForm'], 'lua', 'Lua: ', size);
  }
  if (opts.floors) {
    const plain = await processOf('plain', prepared.tag, ['static'], renderPlain, {});
    add(plain, 'static', {
      id: 'plain_static_get',
      label: 'nginx without modules: static GET, ' + one.label + ' bearer',
      kind: 'plain',
      path: 'bearer',
      size: one.id,
      headers: bearer(one),
    });
  }
  return { processes, variants };
}

/** Headers of a variant as an object, for node's fetch and http. */
export function headerObject(v) {
  const headers = {};
  for (const h of v.headers) {
    const i = h.indexOf(':');
    headers[h.slice(0, i)] = h.slice(i + 1).trim();
  }
  return headers;
}
