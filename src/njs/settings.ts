// A setting the fast paths found set (handlers.ts), checked as the general path checks it. Imported lazily: only
// the requests of a gateway whose settings are set build it.
export { settingValue } from '../core/config';
