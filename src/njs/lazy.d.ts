// `lazy:` imports: the module bundled into a function, load(), that builds it the first time it is called
// (build/njs-target.mjs says why).
declare module 'lazy:./general' {
  export function load(): typeof import('./general');
}
declare module 'lazy:./occasional' {
  export function load(): typeof import('./occasional');
}
declare module 'lazy:./body' {
  export function load(): typeof import('./body');
}
