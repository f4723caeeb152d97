// What the fast paths (handlers.ts, route.ts) need only now and then: the value of a setting that is set,
// and the warning for a region cookie that names another region than the token. The build wraps this module
// in loadOccasional(), which only the requests that need one of them call: the njs engine makes every
// top-level function of the module again for each request, whether the request calls it or not.
export { settingValue } from '../core/config';
export { disagreement } from '../core/region';
