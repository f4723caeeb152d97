// What the regexes of gateway.conf (a bearer token) and http.conf (a form's token) guarantee to the fast paths
// (a const enum: no binding in the bundle).
export const enum Bearer {
  /** The most characters those regexes take in a token's header or signature (`{1,1024}`). */
  SegmentMax = 1024,
}
