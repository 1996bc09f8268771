/**
 * `v` scaled to length 1: the embedding seam's promise, kept by backends whose provider does not
 * normalise, and checked again on a query vector before a dot-product search (where a dot
 * product is the cosine only for unit vectors). A vector already of unit length, or of length 0,
 * is returned as it is, without a copy.
 */
export function unitLength(v: Float32Array): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  if (norm === 0 || Math.abs(norm - 1) < 1e-6) return v;
  return v.map((x) => x / norm);
}
