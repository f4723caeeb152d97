// The parts of the module that only some requests need. build/build.mjs puts each into a function nested in
// load(), the module's one top-level function for all of them: the njs engine runs a module's top level, and
// makes each of its functions and bindings, again for every request. Under QuickJS a context serves many
// requests, and load() builds each part once per context.

/** The form POST bodies nginx did not take apart (body.ts). */
declare function load(part: 'body'): typeof import('./body');
/** The general path (general.ts): every request the fast paths do not answer on their own. */
declare function load(part: 'general'): typeof import('./general');
/** What the fast paths need only now and then (occasional.ts). */
declare function load(part: 'occasional'): typeof import('./occasional');
