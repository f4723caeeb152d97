// What the fast paths (handlers.ts, route.ts) need only now and then: the value of a setting that is set,
// the warning for a region cookie that names another region than the token, and under QuickJS a region
// table answer to keep. The build puts this module into load('occasional') (loaders.d.ts), which only the
// requests that need one of them call: the njs engine makes every top-level function of the module again for
// each request, whether the request calls it or not.
export { settingValue } from '../core/config';
export { disagreement } from '../core/region';

/** Region table lookups that found a region, by the name looked up: route.ts keeps them per QuickJS context. */
export interface Lookups {
  regions: Record<string, string>;
  count: number;
}

const enum Cache {
  /** At most this many names (a name's case variants count apart), so a stream of distinct names can't grow it. */
  Names = 64,
}

/** `lookups` with one more lookup kept: a new object the first time (`true`). */
export function remember(lookups: Lookups | true, name: string, region: string): Lookups {
  const kept = lookups === true ? { regions: Object.create(null) as Record<string, string>, count: 0 } : lookups;
  if (kept.count < Cache.Names) {
    kept.regions[name] = region;
    kept.count++;
  }
  return kept;
}
