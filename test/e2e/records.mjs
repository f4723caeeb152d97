// Reads what each service says it served and holds (its /_records), so tests can assert where a user's
// requests went from the services' own records rather than from the client's view.
import { REGIONS } from '../../platform/launch.mjs';

export const SERVICES = ['directory'].concat(
  ...REGIONS.map(function (r) {
    return ['identity-' + r, 'api-' + r];
  }),
);

/** { 'identity-eu': { region, service, audit: [...], holds: {...} }, ... }, audit entries at or after `since`. */
export async function readRecords(platform, since) {
  const out = {};
  for (const s of SERVICES) {
    const rec = await platform.records(s);
    rec.audit = rec.audit.filter(function (e) {
      return e.at >= since;
    });
    out[s] = rec;
  }
  return out;
}

/** Every audit entry, of every service, that matches `pred`. */
export function entries(records, pred) {
  return Object.values(records).flatMap(function (r) {
    return r.audit.filter(pred);
  });
}

/** The gateway an entry entered at (each gateway binds its own address), or 'direct'. */
export function gatewayOf(platform, entry) {
  for (const [region, host] of Object.entries(platform.gatewayHosts)) {
    if (entry.via === host) return region;
  }
  return 'direct';
}

export function describe(entry) {
  return (
    entry.region +
    '/' +
    entry.service +
    ' ' +
    entry.event +
    ' ' +
    entry.method +
    ' ' +
    entry.path +
    (entry.user ? ' user=' + entry.user : '') +
    ' via=' +
    entry.via
  );
}
