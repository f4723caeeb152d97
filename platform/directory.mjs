// The global directory: maps a user name to the user's home region and holds nothing else about the
// user. Identity servers of every region ask it during the first login stage.
//
// Run by platform/launch.mjs: node platform/directory.mjs (config in $PLATFORM_SERVICE_CONFIG)
import { readFileSync } from 'node:fs';
import { serviceConfig, createAudit, listen, sendJson } from './lib/http.mjs';

const config = serviceConfig();
const homes = JSON.parse(readFileSync(config.dataFile, 'utf8')).homes;
const audit = createAudit('global', 'directory');

async function handle(req, res) {
  const url = new URL(req.url, 'http://directory');
  const m = /^\/homes\/([^/]+)$/.exec(url.pathname);
  if (req.method === 'GET' && m) {
    const name = decodeURIComponent(m[1]).toLowerCase();
    const region = Object.prototype.hasOwnProperty.call(homes, name) ? homes[name] : undefined;
    audit.add(req, 'home-lookup', { user: name, home: region || null });
    return region ? sendJson(res, 200, { region }) : sendJson(res, 404, { error: 'unknown_user' });
  }
  if (req.method === 'GET' && url.pathname === '/_records') {
    return sendJson(res, 200, { region: 'global', service: 'directory', audit: audit.entries, holds: { homes } });
  }
  return sendJson(res, 404, { error: 'not_found' });
}

await listen('directory', config.host, config.port, handle);
