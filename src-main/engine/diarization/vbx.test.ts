/**
 * PLDA (plda.ts) and VBx (vbx.ts, vbx-clustering.ts) on data drawn from the two-covariance model
 * they assume (speaker means y ~ N(0, B), embeddings x ~ N(y, W)): the generating model is known,
 * so the fit and the clustering can be checked against it.
 */
import { describe, expect, it } from 'vitest';

import { seededRandom } from '../../test-support.ts';
import { l2normalize } from './clustering.ts';
import { fitPlda, pldaTransform, symmetricEigen } from './plda.ts';
import { gammaFromLabels, vbx } from './vbx.ts';
import { clusterVbx, shippedPlda } from './vbx-clustering.ts';

const gauss = (rnd: () => number): number =>
  Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());

/** Speakers × segments of a D-dim two-covariance model with anisotropic W and B. */
function synth(
  speakers: number,
  perSpeaker: number,
  D: number,
  seed: number,
): { x: Float32Array[]; spk: number[] } {
  const rnd = seededRandom(seed);
  const x: Float32Array[] = [];
  const spk: number[] = [];
  for (let s = 0; s < speakers; s++) {
    // across-speaker spread 3 on the first half of the dims, 0.5 on the rest
    const y = Float64Array.from({ length: D }, (_, k) => (k < D / 2 ? 3 : 0.5) * gauss(rnd));
    for (let n = 0; n < perSpeaker; n++) {
      x.push(Float32Array.from(y, (yk, k) => 5 + yk + (k % 3 === 0 ? 1.5 : 0.7) * gauss(rnd)));
      spk.push(s);
    }
  }
  return { x, spk };
}

describe('symmetricEigen', () => {
  it('reconstructs a random symmetric matrix from its eigenpairs, values descending', () => {
    const n = 12;
    const rnd = seededRandom(3);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = gauss(rnd);
    const { values, vectors } = symmetricEigen(a, n);
    for (let k = 1; k < n; k++) expect(values[k]).toBeLessThanOrEqual(values[k - 1]);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += vectors[k * n + i] * values[k] * vectors[k * n + j];
        expect(s).toBeCloseTo(a[i * n + j], 8);
      }
  });
});

describe('fitPlda', () => {
  it('maps speakers to within-class covariance ≈ I and across-class variances φ, descending', () => {
    const D = 16;
    const train = synth(300, 8, D, 1);
    const m = fitPlda(train.x, train.spk.map(String), 8, 'test', 'synthetic');
    expect(m.phi).toHaveLength(8);
    for (let k = 1; k < 8; k++) expect(m.phi[k]).toBeLessThanOrEqual(m.phi[k - 1]);
    // the 8 informative dims carry large across-speaker variance relative to the within
    expect(m.phi[7]).toBeGreaterThan(1);
    // within-speaker covariance on held-out speakers is near identity
    const test = synth(200, 8, D, 2);
    const z = pldaTransform(test.x, m);
    const within = new Float64Array(8);
    for (let s = 0; s < 200; s++) {
      const rows = z.slice(s * 8, s * 8 + 8);
      for (let k = 0; k < 8; k++) {
        const mu = rows.reduce((a, r) => a + r[k], 0) / 8;
        within[k] += rows.reduce((a, r) => a + (r[k] - mu) ** 2, 0) / 7 / 200;
      }
    }
    for (const w of within) {
      expect(w).toBeGreaterThan(0.6);
      expect(w).toBeLessThan(1.6);
    }
  });

  it('rejects bad input with a message naming the problem', () => {
    expect(() => fitPlda([], [], 2, 'e', '')).toThrow(/one speaker label per vector/);
    expect(() => fitPlda([[1, 2]], ['a'], 2, 'e', '')).toThrow(/at least 2 speakers/);
    expect(() =>
      fitPlda(
        [
          [1, 2],
          [2, 1],
        ],
        ['a', 'b'],
        3,
        'e',
        '',
      ),
    ).toThrow(/dimension must be in \[1, 2\]/);
    const m = fitPlda(synth(20, 4, 6, 5).x, synth(20, 4, 6, 5).spk.map(String), 4, 'e', '');
    expect(() => pldaTransform([new Float32Array(5)], m)).toThrow(/takes 6-dim embeddings, got 5/);
  });
});

describe('vbx', () => {
  const D = 16;
  const plda = (() => {
    const t = synth(300, 8, D, 11);
    return fitPlda(t.x, t.spk.map(String), 12, 'test', 'synthetic');
  })();

  it('merges an over-split initialisation back to the true speakers; the ELBO does not decrease', () => {
    const test = synth(3, 40, D, 12);
    const z = pldaTransform(test.x, plda);
    // AHC-like over-clustering: each true speaker split in two
    const init = test.spk.map((s, i) => 2 * s + (i % 2));
    const res = vbx(z, plda.phi, gammaFromLabels(init, 6), { Fa: 0.3, Fb: 17, loopP: 0 });
    for (let i = 1; i < res.elbo.length; i++)
      expect(res.elbo[i]).toBeGreaterThanOrEqual(res.elbo[i - 1] - 1e-6);
    const hard = z.map((_, t) => {
      let b = 0;
      for (let s = 1; s < 6; s++) if (res.gamma[t * 6 + s] > res.gamma[t * 6 + b]) b = s;
      return b;
    });
    expect(new Set(hard).size).toBe(3);
    // one VBx speaker per true speaker
    for (let s = 0; s < 3; s++) expect(new Set(hard.filter((_, i) => test.spk[i] === s)).size).toBe(1);
  });

  it('an HMM with loopP > 0 gives the same speakers on temporally ordered turns', () => {
    const test = synth(2, 30, D, 13);
    const z = pldaTransform(test.x, plda);
    const init = test.spk.map((s, i) => 2 * s + (i % 2));
    const res = vbx(z, plda.phi, gammaFromLabels(init, 4), { Fa: 0.3, Fb: 17, loopP: 0.9 });
    const sum = res.pi.reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 9);
    const hard = z.map((_, t) =>
      [0, 1, 2, 3].reduce((b, s) => (res.gamma[t * 4 + s] > res.gamma[t * 4 + b] ? s : b), 0),
    );
    expect(new Set(hard).size).toBe(2);
  });

  it('refuses parameters out of range', () => {
    const z = pldaTransform(synth(1, 2, D, 1).x, plda);
    expect(() => vbx(z, plda.phi, gammaFromLabels([0, 0], 1), { Fa: 0, Fb: 1, loopP: 0 })).toThrow(
      /Fa and Fb/,
    );
    expect(() => vbx(z, plda.phi, gammaFromLabels([0, 0], 1), { Fa: 1, Fb: 1, loopP: 1 })).toThrow(/loopP/);
  });

  it('clusterVbx keeps the cannot-link constraint and finds the speakers of an over-split AHC', () => {
    const test = synth(3, 30, D, 14);
    // two local speakers (always two different people) per window: items w and w + 45
    const items = test.x.map((v, i) => ({
      window: i % 45,
      local: Math.floor(i / 45),
      vector: l2normalize(Float32Array.from(v, (x, k) => x - plda.mean1[k])),
    }));
    const res = clusterVbx(
      items,
      test.x,
      { threshold: 0, minClusterSize: 1, maxAhcItems: 2500 },
      { initThreshold: 0.05, Fa: 0.3, Fb: 17, loopP: 0, plda },
    );
    expect(res.centroids).toHaveLength(3);
    for (let w = 0; w < 45; w++) expect(res.labels[w]).not.toBe(res.labels[w + 45]);
    for (let s = 0; s < 3; s++)
      expect(new Set([...res.labels].filter((_, i) => test.spk[i] === s)).size).toBe(1);
  });
});

describe('shippedPlda', () => {
  it('loads the PLDA fitted for the project encoder (models/callscope_spk_encoder_v1.plda.json)', () => {
    const m = shippedPlda('callscope_spk_encoder_v1');
    expect(m).not.toBeNull();
    expect(m!.inputDim).toBe(228);
    expect(m!.phi.every((p) => p > 0)).toBe(true);
    expect(shippedPlda('no-such-encoder')).toBeNull();
  });
});
