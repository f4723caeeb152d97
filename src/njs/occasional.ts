// What the fast paths (handlers.ts) need only now and then: a setting found set, checked as the general path
// checks it, and the warning for a region cookie that names another region than the token. Imported lazily:
// only the requests that need one of them build it, and it is far smaller than the general path.
export { settingValue } from '../core/config';
export { disagreement } from '../core/region';
