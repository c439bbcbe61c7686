/**
 * VBx: variational-Bayes inference of a Bayesian HMM over speaker embeddings (Landini, Profant,
 * Diez, Burget, "Bayesian HMM clustering of x-vector sequences (VBx) in speaker diarization",
 * Computer Speech & Language 71, 2022, eqs. 17–23; Diez et al., Interspeech 2019). Written from
 * the paper's equations for this project; BUT's Apache-2.0 reference implementation was read, not
 * copied.
 *
 * Model, in the PLDA space of plda.ts (within-speaker covariance I, speaker means y_s ~ N(0,
 * diag(φ))): every embedding x_t belongs to one of S speakers; the speaker sequence is a Markov
 * chain that stays with probability `loopP` and otherwise re-draws a speaker from π. VB alternates
 * the speaker-model posteriors q(y_s) (a diagonal Gaussian per speaker) with the frame posteriors
 * γ_ts (forward–backward), and re-estimates π; speakers whose π goes to zero disappear, which is
 * how VBx chooses the number of speakers. Fa scales the acoustic likelihoods (compensating for the
 * correlation between overlapping embeddings), Fb the speaker-model prior (larger = fewer
 * speakers). With loopP = 0 the HMM reduces to a Bayesian Gaussian mixture: the order of the
 * embeddings does not matter (pyannote 3.1's VBx clustering uses it that way).
 */

/** Parameters of {@link vbx}. */
export interface VbxOptions {
  /** Acoustic scaling factor Fa, > 0 (paper: 0.3 for 1.5-s x-vectors every 0.25 s). */
  Fa: number;
  /** Speaker regularisation coefficient Fb, > 0 (paper: 17). */
  Fb: number;
  /** Probability of staying with the same speaker between consecutive embeddings, in [0, 1). */
  loopP: number;
  /** At most this many VB iterations (default 20). */
  maxIters?: number;
  /** Stop when the ELBO improves by less than this (default 1e-4). */
  epsilon?: number;
}

/** Result of {@link vbx}. */
export interface VbxResult {
  /** Frame posteriors γ, row-major [N, S]. */
  gamma: Float64Array;
  /** Speaker priors π, length S (sum 1). */
  pi: Float64Array;
  /** Evidence lower bound after each iteration. */
  elbo: number[];
}

const LOG_2PI = Math.log(2 * Math.PI);

const logAddExp = (a: number, b: number): number => {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
};

function logSumExp(v: Float64Array, from: number, n: number): number {
  let m = -Infinity;
  for (let i = 0; i < n; i++) m = Math.max(m, v[from + i]);
  if (m === -Infinity) return m;
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp(v[from + i] - m);
  return m + Math.log(s);
}

/**
 * Runs VBx from initial frame posteriors.
 * @param x embeddings in the PLDA space, N vectors of length d (temporal order matters only when
 *   loopP > 0).
 * @param phi across-speaker variances φ, length d (> 0).
 * @param gamma0 initial posteriors, row-major [N, S] (rows sum to 1), e.g. from AHC labels.
 * @returns final posteriors, priors and the ELBO trace.
 * @throws Error on inconsistent shapes or parameters out of range.
 */
export function vbx(
  x: Float64Array[],
  phi: ArrayLike<number>,
  gamma0: Float64Array,
  opts: VbxOptions,
): VbxResult {
  const N = x.length;
  const d = phi.length;
  const S = N ? gamma0.length / N : 0;
  if (!Number.isInteger(S) || (N && S < 1))
    throw new Error(
      `VBx: initial posteriors must be [N, S], got ${gamma0.length} values for ${N} embeddings`,
    );
  if (!(opts.Fa > 0 && opts.Fb > 0))
    throw new Error(`VBx: Fa and Fb must be positive, got ${opts.Fa}, ${opts.Fb}`);
  if (!(opts.loopP >= 0 && opts.loopP < 1))
    throw new Error(`VBx: loopP must be in [0, 1), got ${opts.loopP}`);
  for (const v of x)
    if (v.length !== d) throw new Error(`VBx: embeddings must have ${d} dims, got ${v.length}`);
  const gamma = Float64Array.from(gamma0);
  const pi = new Float64Array(S).fill(1 / Math.max(S, 1));
  const elbo: number[] = [];
  if (N === 0) return { gamma, pi, elbo };
  const { Fa, Fb, loopP } = opts;
  const ratio = Fa / Fb;
  const sqrtPhi = Float64Array.from(phi, Math.sqrt);
  const rho = x.map((v) => Float64Array.from(v, (xi, k) => xi * sqrtPhi[k]));
  const G = x.map((v) => {
    let s = 0;
    for (const xi of v) s += xi * xi;
    return -0.5 * (s + d * LOG_2PI);
  });
  const logp = new Float64Array(N * S);
  const lf = new Float64Array(N * S);
  const lb = new Float64Array(N * S);
  const invL = new Float64Array(S * d);
  const alpha = new Float64Array(S * d);
  const logStay = loopP > 0 ? Math.log(loopP) : -Infinity;
  for (let iter = 0; iter < (opts.maxIters ?? 20); iter++) {
    // q(y_s): precision 1 + Fa/Fb·N_s·φ, mean alpha (eq. 17–18)
    invL.fill(0);
    alpha.fill(0);
    for (let s = 0; s < S; s++) {
      let ns = 0;
      for (let t = 0; t < N; t++) ns += gamma[t * S + s];
      for (let k = 0; k < d; k++) invL[s * d + k] = 1 / (1 + ratio * ns * phi[k]);
      for (let t = 0; t < N; t++) {
        const g = gamma[t * S + s];
        if (g === 0) continue;
        for (let k = 0; k < d; k++) alpha[s * d + k] += g * rho[t][k];
      }
      for (let k = 0; k < d; k++) alpha[s * d + k] *= ratio * invL[s * d + k];
    }
    // expected log-likelihoods (eq. 23), scaled by Fa
    for (let s = 0; s < S; s++) {
      let c = 0;
      for (let k = 0; k < d; k++) c += (invL[s * d + k] + alpha[s * d + k] ** 2) * phi[k];
      for (let t = 0; t < N; t++) {
        let r = 0;
        for (let k = 0; k < d; k++) r += rho[t][k] * alpha[s * d + k];
        logp[t * S + s] = Fa * (r - 0.5 * c + G[t]);
      }
    }
    // forward–backward with A = loopP·I + (1 − loopP)·1πᵀ, initial π
    const logPi = Float64Array.from(pi, Math.log);
    const logMove = Float64Array.from(pi, (p) => Math.log((1 - loopP) * p));
    for (let s = 0; s < S; s++) lf[s] = logPi[s] + logp[s];
    for (let t = 1; t < N; t++) {
      const m = logSumExp(lf, (t - 1) * S, S);
      for (let s = 0; s < S; s++)
        lf[t * S + s] = logp[t * S + s] + logAddExp(logMove[s] + m, logStay + lf[(t - 1) * S + s]);
    }
    lb.fill(0, (N - 1) * S, N * S);
    const tmp = new Float64Array(S);
    for (let t = N - 2; t >= 0; t--) {
      for (let s = 0; s < S; s++) tmp[s] = logp[(t + 1) * S + s] + lb[(t + 1) * S + s];
      let m = -Infinity;
      for (let s = 0; s < S; s++) m = Math.max(m, logMove[s] + tmp[s]);
      let acc = 0;
      for (let s = 0; s < S; s++) acc += Math.exp(logMove[s] + tmp[s] - m);
      const move = m + Math.log(acc);
      for (let s = 0; s < S; s++) lb[t * S + s] = logAddExp(move, logStay + tmp[s]);
    }
    const tll = logSumExp(lf, (N - 1) * S, S);
    for (let i = 0; i < N * S; i++) gamma[i] = Math.exp(lf[i] + lb[i] - tll);
    // π: expected number of times each speaker is (re-)drawn
    const piNew = new Float64Array(S);
    for (let s = 0; s < S; s++) piNew[s] = gamma[s];
    for (let t = 1; t < N; t++) {
      const m = logSumExp(lf, (t - 1) * S, S);
      for (let s = 0; s < S; s++)
        if (pi[s] > 0) piNew[s] += Math.exp(m + logMove[s] + logp[t * S + s] + lb[t * S + s] - tll);
    }
    let sum = 0;
    for (const p of piNew) sum += p;
    for (let s = 0; s < S; s++) pi[s] = piNew[s] / sum;
    // ELBO = log p(X) − KL(q(Y) ‖ p(Y)), the KL scaled by Fb
    let kl = 0;
    for (let i = 0; i < S * d; i++) kl += Math.log(invL[i]) - invL[i] - alpha[i] ** 2 + 1;
    elbo.push(tll + 0.5 * Fb * kl);
    if (iter > 0 && elbo[iter] - elbo[iter - 1] < (opts.epsilon ?? 1e-4)) break;
  }
  return { gamma, pi, elbo };
}

/**
 * Initial posteriors from hard labels (BUT's recipe: softmax of the one-hot matrix scaled by
 * `smoothing`, default 7, so a label gets ≈ 0.999 of the mass with a few speakers).
 * @param labels label per embedding, 0..S−1.
 * @returns row-major [N, S].
 */
export function gammaFromLabels(labels: ArrayLike<number>, S: number, smoothing = 7): Float64Array {
  const g = new Float64Array(labels.length * S);
  const z = Math.exp(smoothing) + S - 1;
  for (let t = 0; t < labels.length; t++)
    for (let s = 0; s < S; s++) g[t * S + s] = (s === labels[t] ? Math.exp(smoothing) : 1) / z;
  return g;
}
