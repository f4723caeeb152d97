// What gateway.conf's bearer regex guarantees to the bearer fast path (a const enum: no binding in the bundle).
export const enum Bearer {
  /** The most characters gateway.conf takes in a bearer token's header or signature (`{1,1024}`). */
  SegmentMax = 1024,
}
