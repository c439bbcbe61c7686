/**
 * VBx clustering of a channel's (window, local speaker) embeddings, as pyannote 3.1's VBx pipeline
 * arranges it: AHC over-clusters the reliable ("train") embeddings, VBx (vbx.ts) refines the
 * clusters in the PLDA space (plda.ts) and drops the speakers it finds no evidence for, then every
 * embedding is assigned to the cosine centroid of a surviving speaker with the cannot-link
 * constraint of clustering.ts (local speakers of one window get distinct speakers).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { APP_ROOT } from '../inference/registry.ts';
import {
  assignConstrained,
  clusterEmbeddings,
  type ClusteringOptions,
  type ClusteringResult,
  type EmbeddingItem,
  l2normalize,
} from './clustering.ts';
import { type PldaModel, pldaTransform } from './plda.ts';
import { gammaFromLabels, vbx, type VbxOptions } from './vbx.ts';

/** VBx clustering parameters (chosen by leave-one-source-out CV, bench/diar-cv.ts). */
export interface VbxClusteringOptions extends VbxOptions {
  /** Cosine-distance threshold of the AHC that initialises VBx (lower = more initial speakers). */
  initThreshold: number;
  /** The PLDA of the channel's encoder. */
  plda: PldaModel;
}

/**
 * Clusters embeddings with AHC-initialised VBx.
 * @param items L2-normalised embeddings (cosine space) for the initial AHC and the final
 *   assignment.
 * @param raw the same embeddings before normalisation (PLDA input), one per item.
 * @param clustering AHC options (its threshold is replaced by `opts.initThreshold`; a requested
 *   speaker count or range is kept for the AHC and then enforced by keeping the largest speakers).
 * @returns a label per item and one L2-normalised centroid per speaker.
 */
export function clusterVbx(
  items: EmbeddingItem[],
  raw: Float32Array[],
  clustering: ClusteringOptions,
  opts: VbxClusteringOptions,
): ClusteringResult {
  const init = clusterEmbeddings(items, { ...clustering, threshold: opts.initThreshold, minClusterSize: 1 });
  const S = init.centroids.length;
  const trainIdx = items.flatMap((it, i) => (it.train !== false ? [i] : []));
  const use = trainIdx.length ? trainIdx : items.map((_, i) => i);
  if (S <= 1 || use.length < 2) return init;
  const x = pldaTransform(
    use.map((i) => raw[i]),
    opts.plda,
  );
  const res = vbx(
    x,
    opts.plda.phi,
    gammaFromLabels(
      use.map((i) => init.labels[i]),
      S,
    ),
    opts,
  );
  // hard decision per training embedding; speakers that keep no embedding vanish
  const hard = use.map((_, t) => {
    let best = 0;
    for (let s = 1; s < S; s++) if (res.gamma[t * S + s] > res.gamma[t * S + best]) best = s;
    return best;
  });
  const counts = new Int32Array(S);
  for (const h of hard) counts[h]++;
  let kept = [...counts.keys()].filter((s) => counts[s] > 0).sort((a, b) => counts[b] - counts[a]);
  const maxC = clustering.numClusters ?? clustering.maxClusters;
  if (maxC !== undefined) kept = kept.slice(0, Math.max(1, maxC));
  const d = items[0].vector.length;
  const centroids = kept.map(() => new Float32Array(d));
  const slot = new Map(kept.map((s, i) => [s, i]));
  use.forEach((i, t) => {
    const c = slot.get(hard[t]);
    if (c === undefined) return;
    for (let j = 0; j < d; j++) centroids[c][j] += items[i].vector[j];
  });
  for (const c of centroids) l2normalize(c, c);
  return { labels: assignConstrained(items, centroids), centroids };
}

const shipped = new Map<string, PldaModel | null>();

/** Path of the PLDA shipped for an encoder id (`models/<id>.plda.json`, bench/plda-train.ts). */
export function pldaPath(encoderId: string): string {
  return join(APP_ROOT, 'models', `${encoderId}.plda.json`);
}

/**
 * The PLDA shipped for an encoder, or null when none ships (then the diarizer uses AHC). Cached.
 * @throws Error when the file exists but is malformed or made for another encoder.
 */
export function shippedPlda(encoderId: string): PldaModel | null {
  if (shipped.has(encoderId)) return shipped.get(encoderId)!;
  const path = pldaPath(encoderId);
  let model: PldaModel | null = null;
  if (existsSync(path)) {
    const m = JSON.parse(readFileSync(path, 'utf8')) as PldaModel;
    const ok =
      m.encoder === encoderId &&
      m.mean1?.length === m.inputDim &&
      m.proj?.length === m.dim * m.inputDim &&
      m.mean2?.length === m.dim &&
      m.transform?.length === m.dim * m.dim &&
      m.phi?.length === m.dim &&
      m.phi.every((p) => p > 0);
    if (!ok) throw new Error(`${path}: not a PLDA of ${encoderId} (wrong encoder or array sizes)`);
    model = m;
  }
  shipped.set(encoderId, model);
  return model;
}
