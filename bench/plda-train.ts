/**
 * Fits the diarization PLDA (src-main/engine/diarization/plda.ts) of an encoder on
 * `../shared/data/train` and writes `models/<encoder>.plda.json` (issue 13, VBx).
 *
 * Data: per train speaker (manifest.csv), up to FILES_PER_SPK recordings, from each up to
 * SEGS_PER_FILE random 1.5–3 s segments (seeded, deterministic) whose RMS is above −45 dBFS (no
 * VAD: the train corpora are read or prompted speech with short pauses); one embedding per
 * segment with the encoder, as the diarizer computes it (Kaldi fbank, the encoder's CMN).
 * Speakers are visited round-robin over the corpora (so any prefix is varied) until all are done or
 * `PLDA_BUDGET_S` seconds (default unlimited) have passed; speakers with fewer than 2 segments are
 * dropped. Embeddings are cached in `bench/results/tmp/plda-<encoder>.json` after every 25 speakers
 * (a rerun continues from it; delete it after an encoder change).
 *
 * Usage: `CALLSCOPE_MODELS_DIR=../shared/models node --import tsx bench/plda-train.ts
 *   [encoder = callscope_spk_encoder_v1] [dim = 128]`
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { decodeStream, probeAudio } from '../src-main/engine/audio/ffmpeg.ts';
import { FbankStream } from '../src-main/engine/audio/fbank.ts';
import { concatFloat32 } from '../src-main/engine/audio/samples.ts';
import { createEmbeddingBackend } from '../src-main/engine/diarization/embedding.ts';
import { fitPlda } from '../src-main/engine/diarization/plda.ts';
import { seededRandom } from '../src-main/test-support.ts';

const SR = 16_000;
const TRAIN = join(import.meta.dirname, '..', '..', 'shared', 'data', 'train');
const TMP = join(import.meta.dirname, 'results', 'tmp');
const FILES_PER_SPK = 2;
const SEGS_PER_FILE = 2;

const encoderId = process.argv[2] ?? 'callscope_spk_encoder_v1';
const dim = Number(process.argv[3] ?? 128);

/** Decodes a whole file to mono 16 kHz. */
async function decodeMono(path: string): Promise<Float32Array> {
  const probe = await probeAudio(path);
  const blocks: Float32Array[] = [];
  for await (const b of decodeStream(path, probe, { channels: 'mono' })) blocks.push(b[0]);
  return concatFloat32(blocks);
}

interface Cache {
  encoder: string;
  vectors: number[][];
  speakers: string[];
  files: number;
}

const BUDGET_S = Number(process.env.PLDA_BUDGET_S ?? Infinity);
/** `k/n`: this worker takes every n-th speaker from the end of the order (parallel extraction). */
const SHARD = process.env.PLDA_SHARD;
/** Corpora left out, as for the shipped voiceprint cohort (licences not confirmed for shipping derived data). */
const EXCLUDED = new Set(['voxceleb1', 'vcc2016']);

async function embedTrain(): Promise<Cache> {
  const path = join(TMP, `plda-${encoderId}${SHARD ? `-${SHARD.replace('/', 'of')}` : ''}.json`);
  mkdirSync(TMP, { recursive: true });
  const out: Cache & { done: string[] } = existsSync(path)
    ? (JSON.parse(readFileSync(path, 'utf8')) as Cache & { done: string[] })
    : { encoder: encoderId, vectors: [], speakers: [], files: 0, done: [] };
  const rows = readFileSync(join(TRAIN, 'manifest.csv'), 'utf8').trim().split('\n').slice(1);
  const bySpk = new Map<string, string[]>();
  for (const r of rows) {
    const [file, corpus, speaker] = r.split(',');
    const key = `${corpus}/${speaker}`;
    bySpk.set(key, [...(bySpk.get(key) ?? []), file]);
  }
  // round-robin over corpora
  const byCorpus = new Map<string, string[]>();
  for (const k of [...bySpk.keys()].sort()) {
    const c = k.split('/')[0];
    byCorpus.set(c, [...(byCorpus.get(c) ?? []), k]);
  }
  let order: string[] = [];
  for (let i = 0; order.length < bySpk.size; i++)
    for (const list of byCorpus.values()) if (i < list.length) order.push(list[i]);
  if (SHARD) {
    const [k, n] = SHARD.split('/').map(Number);
    order = order.reverse().filter((spk, i) => i % n === k && !EXCLUDED.has(spk.split('/')[0]));
  }
  const done = new Set(out.done);
  const embedder = await createEmbeddingBackend(encoderId);
  const t0 = performance.now();
  for (const spk of order) {
    if (done.has(spk)) continue;
    if ((performance.now() - t0) / 1000 > BUDGET_S) break;
    // seeded per speaker, so a resumed run draws the same segments
    const rnd = seededRandom(13 + [...bySpk.keys()].sort().indexOf(spk));
    for (const f of bySpk.get(spk)!.slice(0, FILES_PER_SPK)) {
      let audio: Float32Array;
      try {
        audio = await decodeMono(join(TRAIN, f));
      } catch {
        continue;
      }
      out.files++;
      for (let k = 0; k < SEGS_PER_FILE; k++) {
        const len = Math.round((1.5 + 1.5 * rnd()) * SR);
        if (audio.length < len) break;
        const start = Math.floor(rnd() * (audio.length - len));
        const seg = audio.subarray(start, start + len);
        let e = 0;
        for (const x of seg) e += x * x;
        if (10 * Math.log10(e / seg.length + 1e-12) < -45) continue;
        const fb = new FbankStream().push(seg.slice());
        if (fb.length / 80 < embedder.minFrames) continue;
        const v = await embedder.embed(fb);
        if (!v.every(Number.isFinite)) continue;
        out.vectors.push(Array.from(v, (x) => Number(x.toPrecision(6))));
        out.speakers.push(spk);
      }
    }
    out.done.push(spk);
    if (out.done.length % 25 === 0) {
      writeFileSync(path, JSON.stringify(out));
      console.log(`${out.done.length}/${bySpk.size} speakers, ${out.vectors.length} segments`);
    }
  }
  writeFileSync(path, JSON.stringify(out));
  return out;
}

await embedTrain();
// every worker's cache (a speaker counted once), excluded corpora dropped
const data: Cache = { encoder: encoderId, vectors: [], speakers: [], files: 0 };
const seen = new Set<string>();
for (const f of readdirSync(TMP).filter((n) => n.startsWith(`plda-${encoderId}`) && n.endsWith('.json'))) {
  const c = JSON.parse(readFileSync(join(TMP, f), 'utf8')) as Cache;
  data.files += c.files;
  const mine = new Set(c.speakers.filter((s) => !seen.has(s) && !EXCLUDED.has(s.split('/')[0])));
  c.speakers.forEach((s, i) => {
    if (!mine.has(s)) return;
    data.vectors.push(c.vectors[i]);
    data.speakers.push(s);
  });
  for (const s of mine) seen.add(s);
}
const count = new Map<string, number>();
for (const s of data.speakers) count.set(s, (count.get(s) ?? 0) + 1);
const keep = data.speakers.map((s) => count.get(s)! >= 2);
const vectors = data.vectors.filter((_, i) => keep[i]);
const speakers = data.speakers.filter((_, i) => keep[i]);
const nSpk = new Set(speakers).size;
// the across-speaker covariance has rank < speakers: keep the dimension well below it
const fitDim = Math.min(dim, Math.floor(nSpk / 2));
const model = fitPlda(
  vectors,
  speakers,
  fitDim,
  encoderId,
  `${vectors.length} segments of 1.5–3 s from ${nSpk} speakers of shared/data/train (${data.files} files; bench/plda-train.ts, ${new Date().toISOString().slice(0, 10)})`,
);
const round = (a: number[]): number[] => a.map((x) => Number(x.toPrecision(6)));
const file = join(import.meta.dirname, '..', 'models', `${encoderId}.plda.json`);
writeFileSync(
  file,
  JSON.stringify({
    ...model,
    mean1: round(model.mean1),
    proj: round(model.proj),
    mean2: round(model.mean2),
    transform: round(model.transform),
    phi: round(model.phi),
  }) + '\n',
);
console.log(
  `wrote ${file}: ${vectors.length} segments, ${nSpk} speakers, dim ${fitDim}, φ[0..4] = ${model.phi
    .slice(0, 5)
    .map((x) => x.toFixed(2))
    .join(', ')}`,
);
