// Prepended to every kernel after the #version line and the defines (BLOCK_SIZE). Buffers carry no
// readonly/writeonly/restrict qualifiers: the Ops contract lets some outputs be inputs, so one
// buffer may be bound to two bindings of a dispatch.

// A loop over [0, n) that any number of workgroups covers (the dispatch is capped at the device's
// group count limit, so an index may be visited by a later round of the same invocation).
#define GRID_STRIDE(i, n) \
  for (uint i = gl_GlobalInvocationID.x; i < (n); i += gl_NumWorkGroups.x * gl_WorkGroupSize.x)

// Java's Math.max / Math.min: NaN wins (GLSL's max and min leave NaN undefined).
float maxNan(float a, float b) { return (isnan(a) || a > b) ? a : b; }
float minNan(float a, float b) { return (isnan(a) || a < b) ? a : b; }

#define NEG_INF uintBitsToFloat(0xff800000u)
#define QUIET_NAN uintBitsToFloat(0x7fc00000u)
