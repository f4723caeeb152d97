// The benchmark's references (bench/configs.mjs renderReferences): the least njs that reads the region
// claim of a token, and the floors (entering njs at all, with nothing read). What the router adds over
// static is compared with what these add.

/** js_set: the bearer token's payload, split off at '.', decoded, parsed; its claim names the region. */
function bearer(r) {
  var payload = r.variables.http_authorization.split('.')[1];
  return JSON.parse(Buffer.from(payload, 'base64url').toString()).zone;
}

/** js_content: the form's code field, found with one regex and decoded the same way; then on to the proxy. */
function form(r) {
  var code = /(?:^|&)code=([^&]*)/.exec(r.requestText)[1];
  r.variables.reference_form_region = JSON.parse(Buffer.from(code.split('.')[1], 'base64url').toString()).zone;
  r.internalRedirect('@reference_proxy');
}

/** Floor, js_set: one handler call, no work. */
function constant() {
  return 'us';
}

/** Floor, js_content: the body is read (as for form), not looked at; then on to the proxy. */
function redirect(r) {
  r.variables.reference_form_region = 'us';
  r.internalRedirect('@reference_proxy');
}

export default { bearer, form, constant, redirect };
