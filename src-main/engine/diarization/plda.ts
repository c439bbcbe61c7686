/**
 * Two-covariance PLDA for speaker embeddings, in the diagonalised form VBx uses (Landini et al.,
 * "Bayesian HMM clustering of x-vector sequences (VBx) in speaker diarization", Computer Speech &
 * Language 71, 2022, section 2; Ioffe, "Probabilistic linear discriminant analysis", ECCV 2006).
 *
 * Front end (as in BUT's VBx recipe): x ↦ centre on the training mean, project on the first
 * `dim` principal axes and whiten (PCA), length-normalise to norm √dim (Garcia-Romero & Espy-Wilson,
 * Interspeech 2011), centre again. The PLDA is then fitted on the front-end vectors of labelled
 * training speakers by the closed-form (moment) estimates of the two-covariance model: within-class
 * covariance W and across-class covariance B. The transform T with T W Tᵀ = I and T B Tᵀ = diag(φ)
 * (simultaneous diagonalisation: whiten W, then rotate onto the eigenvectors of the whitened B)
 * maps an embedding to the space where a speaker's vectors are N(y, I) and speaker means y are
 * N(0, diag(φ)): exactly the model VBx's Gaussian-mixture/HMM inference assumes.
 */

/** A fitted PLDA and its front end (what {@link pldaTransform} needs); JSON-serialisable. */
export interface PldaModel {
  /** Encoder id the PLDA was fitted for (its embeddings only). */
  encoder: string;
  /** Input embedding dimension D. */
  inputDim: number;
  /** Output dimension d ≤ D. */
  dim: number;
  /** Training mean of the raw embeddings, length D. */
  mean1: number[];
  /** PCA whitening projection, d rows of length D (row-major [d, D]). */
  proj: number[];
  /** Mean after length normalisation, length d. */
  mean2: number[];
  /** PLDA transform T, row-major [d, d]. */
  transform: number[];
  /** Across-class variances φ in the transformed space, length d, descending. */
  phi: number[];
  /** Provenance: speakers, segments, data, date. */
  trainedOn: string;
}

/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations (Golub & Van Loan,
 * "Matrix Computations", 4th ed., §8.5).
 * @param a symmetric [n, n] row-major (not modified).
 * @returns eigenvalues (descending) and eigenvectors as rows of `vectors` ([n, n], row k ↔ value k).
 */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += m[i * n + i] ** 2;
      for (let j = i + 1; j < n; j++) off += m[i * n + j] ** 2;
    }
    if (off <= 1e-22 * diag || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const app = m[p * n + p];
        const aqq = m[q * n + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vpk = v[p * n + k];
          const vqk = v[q * n + k];
          v[p * n + k] = c * vpk - s * vqk;
          v[q * n + k] = s * vpk + c * vqk;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[j * n + j] - m[i * n + i]);
  const values = Float64Array.from(order, (i) => m[i * n + i]);
  const vectors = new Float64Array(n * n);
  order.forEach((i, r) => vectors.set(v.subarray(i * n, (i + 1) * n), r * n));
  return { values, vectors };
}

/** Applies the front end (centre, PCA-whiten, length-normalise, centre) to one vector. */
function frontEnd(
  x: ArrayLike<number>,
  m: Pick<PldaModel, 'inputDim' | 'dim' | 'mean1' | 'proj'>,
): Float64Array {
  const { inputDim: D, dim: d } = m;
  const y = new Float64Array(d);
  for (let r = 0; r < d; r++) {
    let s = 0;
    for (let c = 0; c < D; c++) s += m.proj[r * D + c] * (x[c] - m.mean1[c]);
    y[r] = s;
  }
  let norm = 0;
  for (let r = 0; r < d; r++) norm += y[r] * y[r];
  const scale = norm > 0 ? Math.sqrt(d / norm) : 0;
  for (let r = 0; r < d; r++) y[r] *= scale;
  return y;
}

/**
 * Maps embeddings into the PLDA space (within-speaker covariance I, across-speaker diag(φ)).
 * @param vectors raw encoder embeddings, each of length `model.inputDim`.
 * @returns one Float64Array of length `model.dim` per input.
 * @throws Error when a vector's length is not the model's input dimension.
 */
export function pldaTransform(vectors: ArrayLike<number>[], model: PldaModel): Float64Array[] {
  const d = model.dim;
  return vectors.map((x) => {
    if (x.length !== model.inputDim)
      throw new Error(`PLDA for ${model.encoder} takes ${model.inputDim}-dim embeddings, got ${x.length}`);
    const y = frontEnd(x, model);
    for (let r = 0; r < d; r++) y[r] -= model.mean2[r];
    const z = new Float64Array(d);
    for (let r = 0; r < d; r++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += model.transform[r * d + c] * y[c];
      z[r] = s;
    }
    return z;
  });
}

/**
 * Fits the front end and a two-covariance PLDA on labelled embeddings (closed-form moments: W =
 * pooled within-speaker covariance, B = covariance of the speaker means, each speaker weighted
 * by its segment count).
 * @param vectors raw embeddings (length D each), ≥ 2 per speaker for most speakers.
 * @param speakers speaker label per vector.
 * @param dim output dimension (≤ D, ≤ number of speakers − 1 is sensible).
 * @throws Error on empty input, mismatched lengths, fewer than 2 speakers, or dim out of range.
 */
export function fitPlda(
  vectors: ArrayLike<number>[],
  speakers: string[],
  dim: number,
  encoder: string,
  trainedOn: string,
): PldaModel {
  const n = vectors.length;
  if (n === 0 || n !== speakers.length)
    throw new Error(`PLDA fit needs one speaker label per vector (${n} vectors, ${speakers.length} labels)`);
  const D = vectors[0].length;
  if (!(dim >= 1 && dim <= D)) throw new Error(`PLDA dimension must be in [1, ${D}], got ${dim}`);
  if (new Set(speakers).size < 2) throw new Error('PLDA fit needs at least 2 speakers');
  // 1. PCA whitening on the total covariance
  const mean1 = new Float64Array(D);
  for (const x of vectors) for (let i = 0; i < D; i++) mean1[i] += x[i] / n;
  const cov = new Float64Array(D * D);
  for (const x of vectors)
    for (let i = 0; i < D; i++) {
      const xi = x[i] - mean1[i];
      for (let j = i; j < D; j++) cov[i * D + j] += (xi * (x[j] - mean1[j])) / n;
    }
  for (let i = 0; i < D; i++) for (let j = 0; j < i; j++) cov[i * D + j] = cov[j * D + i];
  const pca = symmetricEigen(cov, D);
  const proj = new Array<number>(dim * D);
  for (let r = 0; r < dim; r++) {
    const s = 1 / Math.sqrt(Math.max(pca.values[r], 1e-12));
    for (let c = 0; c < D; c++) proj[r * D + c] = pca.vectors[r * D + c] * s;
  }
  const fe = { inputDim: D, dim, mean1: Array.from(mean1), proj };
  const ys = vectors.map((x) => frontEnd(x, fe));
  const mean2 = new Float64Array(dim);
  for (const y of ys) for (let i = 0; i < dim; i++) mean2[i] += y[i] / n;
  for (const y of ys) for (let i = 0; i < dim; i++) y[i] -= mean2[i];
  // 2. within- and across-class covariances
  const bySpk = new Map<string, number[]>();
  speakers.forEach((s, i) => bySpk.set(s, [...(bySpk.get(s) ?? []), i]));
  const W = new Float64Array(dim * dim);
  const B = new Float64Array(dim * dim);
  for (const idx of bySpk.values()) {
    const mu = new Float64Array(dim);
    for (const i of idx) for (let k = 0; k < dim; k++) mu[k] += ys[i][k] / idx.length;
    for (let a = 0; a < dim; a++)
      for (let b = a; b < dim; b++) {
        B[a * dim + b] += (idx.length * mu[a] * mu[b]) / n;
        let w = 0;
        for (const i of idx) w += (ys[i][a] - mu[a]) * (ys[i][b] - mu[b]);
        W[a * dim + b] += w / n;
      }
  }
  for (let a = 0; a < dim; a++)
    for (let b = 0; b < a; b++) {
      W[a * dim + b] = W[b * dim + a];
      B[a * dim + b] = B[b * dim + a];
    }
  // 3. simultaneous diagonalisation: T = Vᵀ W^(−1/2)
  const we = symmetricEigen(W, dim);
  const wInvSqrt = new Float64Array(dim * dim); // rows: eigvecᵀ / √λ
  for (let r = 0; r < dim; r++) {
    const s = 1 / Math.sqrt(Math.max(we.values[r], 1e-12));
    for (let c = 0; c < dim; c++) wInvSqrt[r * dim + c] = we.vectors[r * dim + c] * s;
  }
  const mul = (p: Float64Array, q: Float64Array, transposeQ: boolean): Float64Array => {
    const out = new Float64Array(dim * dim);
    for (let i = 0; i < dim; i++)
      for (let j = 0; j < dim; j++) {
        let s = 0;
        for (let k = 0; k < dim; k++) s += p[i * dim + k] * (transposeQ ? q[j * dim + k] : q[k * dim + j]);
        out[i * dim + j] = s;
      }
    return out;
  };
  const bw = mul(mul(wInvSqrt, B, false), wInvSqrt, true); // W^(−1/2) B W^(−1/2)ᵀ
  const be = symmetricEigen(bw, dim);
  const transform = mul(be.vectors, wInvSqrt, false);
  return {
    encoder,
    inputDim: D,
    dim,
    mean1: Array.from(mean1),
    proj,
    mean2: Array.from(mean2),
    transform: Array.from(transform),
    phi: Array.from(be.values, (x) => Math.max(x, 1e-6)),
    trainedOn,
  };
}
