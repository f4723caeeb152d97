// The modules that build/build.mjs wraps each in a function, which only the requests that need it call: the
// njs engine runs a module's top level, and makes each of its functions, again for every request.

/** The general path (general.ts): every request the fast paths do not answer on their own. */
declare function loadGeneral(): typeof import('./general');
/** The form POST bodies nginx did not take apart (body.ts). */
declare function loadBody(): typeof import('./body');
/** What the fast paths need only now and then (occasional.ts): a setting that is set, a disagreement. */
declare function loadOccasional(): typeof import('./occasional');
