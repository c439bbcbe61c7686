/** Small helpers for sample buffers (16 kHz float32 in [-1, 1] throughout the engine). */

/**
 * Concatenates sample (or feature) arrays into one new array, in order.
 * @param parts arrays of any length (empty ones allowed).
 * @returns a new Float32Array of the summed length.
 */
export function concatFloat32(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
