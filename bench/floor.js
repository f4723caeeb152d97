// Reference handlers for the benchmark's "njs floor" variants (bench/configs.mjs renderFloor): the least
// njs can do on each path, so the module's cost splits into what njs costs at all and what routing adds.

/** js_set returning a constant: one VM clone and one handler call, no work. */
function constant(r) {
  return 'up_us';
}

/** js_content for a form POST: njs reads the body, sets a js_var and redirects, as routeBody does. */
function redirect(r) {
  r.variables.floor_region = r.requestText.length > 0 ? 'us' : 'eu';
  r.internalRedirect('@floor_proxy');
}

/** js_set behind `mirror_request_body on`: the body is already read when proxy_pass asks. */
function fromBody(r) {
  return r.requestText.length > 0 ? 'up_us' : 'up_eu';
}

export default { constant, redirect, fromBody };
