// A regional business API. It answers only for access tokens of its own region: the wrapped token must
// be signed with this region's key (published by this region's identity server) and carry this region
// in `zone`; the grant behind it is then introspected at this region's identity server, inside the region.
//
// Run by platform/launch.mjs: node platform/api-server.mjs (config in $PLATFORM_SERVICE_CONFIG)
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { readFileSync } from 'node:fs';
import { serviceConfig, createAudit, listen, peekWrappedToken, sendJson } from './lib/http.mjs';

const config = serviceConfig();
const region = config.region;
const audit = createAudit(region, 'api');
const records = JSON.parse(readFileSync(config.dataFile, 'utf8')).records;
const regionKeys = createRemoteJWKSet(new URL(config.identityUrl + '/.well-known/jwks.json'));
const introspectAuth = 'Basic ' + Buffer.from(config.apiClient.id + ':' + config.apiClient.secret).toString('base64');

function refuse(res, req, why, token) {
  const peek = token ? peekWrappedToken(token) : undefined;
  audit.add(req, 'refused', { why, tokenRef: peek && peek.ref, tokenZone: peek && peek.zone });
  return sendJson(res, 401, { error: 'invalid_token', region }, { 'www-authenticate': 'Bearer error="invalid_token"' });
}

/** The user an access token of this region stands for, or a reason to refuse it. */
async function authorize(token) {
  try {
    const verified = await jwtVerify(token, regionKeys, { issuer: 'urn:demo:idsvr:' + region, algorithms: ['ES256'] });
    if (verified.payload.zone !== region || verified.payload.typ !== 'access')
      return { why: 'not an access token of region ' + region };
  } catch (e) {
    return { why: 'not signed by region ' + region + ' (' + e.code + ')' };
  }
  const res = await fetch(config.identityUrl + '/oauth/introspect', {
    method: 'POST',
    headers: { authorization: introspectAuth, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  const grant = await res.json();
  if (!grant.active) return { why: 'grant not active' };
  if (!grant.scope.split(' ').includes('records')) return { why: 'scope records not granted' };
  return { user: grant.username };
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://api');
  if (req.method === 'GET' && url.pathname === '/_records') {
    return sendJson(res, 200, { region, service: 'api', audit: audit.entries, holds: { users: Object.keys(records) } });
  }
  if (req.method !== 'GET' || url.pathname !== '/api/records') {
    audit.add(req, 'not-found');
    return sendJson(res, 404, { error: 'not_found' });
  }
  const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization || '');
  if (!bearer) return refuse(res, req, 'no bearer token');
  const token = bearer[1];
  const who = await authorize(token);
  if (!who.user) return refuse(res, req, who.why, token);
  audit.add(req, 'records', { user: who.user, tokenRef: peekWrappedToken(token).ref, tokenZone: region });
  return sendJson(res, 200, { region, user: who.user, records: records[who.user] || [] });
}

await listen('api-' + region, config.host, config.port, handle);
