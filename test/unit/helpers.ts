// Shared fixtures for unit tests of the pure core.
import { RouterConfig } from '../../src/core/config';
import { RegionTable } from '../../src/core/region';

export const CONFIG: RouterConfig = {
  defaultRegion: 'eu',
  claim: 'zone',
  maxTokenBytes: 16384,
  continueAt: '@region_router_proxy',
};

/** Behaves like nginx's map: string keys match case-insensitively, the value is canonical. */
export const TABLE: RegionTable = function (candidate) {
  const known: Record<string, string> = { eu: 'eu', us: 'us' };
  const key = candidate.toLowerCase();
  return Object.prototype.hasOwnProperty.call(known, key) ? known[key] : undefined;
};

/** An unsigned-looking but well-formed wrapped token: the core decodes, it does not verify. */
export function wrapped(payload: unknown, header: unknown = { alg: 'RS256', kid: 'k1' }): string {
  const seg = function (v: unknown): string {
    return Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
  };
  return seg(header) + '.' + seg(payload) + '.' + Buffer.from('signature-bytes').toString('base64url');
}
