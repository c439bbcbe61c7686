// Parity check: onnxruntime-node vs PyTorch on every dev file.
// Reads /work/cache/parity/{reference.json,feats.f32} written by training/export.py and requires
// cosine(embedding_ort, embedding_torch) >= 0.999 on every file (plus close age/gender outputs).
// Run from the repo root: node training/parity_check.mjs [/work/cache/parity]
// (onnxruntime-node is resolved from the repo's node_modules, or set ORT_DIR to another install.)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ortPath = process.env.ORT_DIR
  ? path.join(process.env.ORT_DIR, 'node_modules', 'onnxruntime-node')
  : 'onnxruntime-node';
const ort = require(ortPath);

const dir = process.argv[2] || '/work/cache/parity';
const ref = JSON.parse(fs.readFileSync(path.join(dir, 'reference.json'), 'utf8'));
const buf = fs.readFileSync(path.join(dir, 'feats.f32'));
const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);

const opts = { executionProviders: ['cpu'], intraOpNumThreads: 1 };
const spk = await ort.InferenceSession.create(ref.spk, opts);
// ref.ag is null when export.py ran without --ag (speaker encoder only)
const ag = ref.ag ? await ort.InferenceSession.create(ref.ag, opts) : null;

const cos = (a, b) => {
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
};

let minCos = 1,
  maxP = 0,
  maxAge = 0,
  maxStd = 0,
  fails = 0;
for (const it of ref.items) {
  const data = all.subarray(it.offset / 4, it.offset / 4 + it.frames * 80);
  const feats = new ort.Tensor('float32', Float32Array.from(data), [1, it.frames, 80]);
  const e = (await spk.run({ feats })).embedding.data;
  const c = cos(e, it.embedding);
  let dp = 0,
    da = 0,
    ds = 0;
  if (ag) {
    const r = await ag.run({ feats });
    dp = Math.max(...Array.from(r.gender_probs.data).map((v, i) => Math.abs(v - it.gender_probs[i])));
    da = Math.abs(r.age_years.data[0] - it.age_years);
    ds = Math.abs(r.age_std.data[0] - it.age_std);
  }
  minCos = Math.min(minCos, c);
  maxP = Math.max(maxP, dp);
  maxAge = Math.max(maxAge, da);
  maxStd = Math.max(maxStd, ds);
  if (c < 0.999 || dp > 1e-3 || da > 0.05) {
    fails++;
    console.log('FAIL', it.file, c, dp, da);
  }
}
// timing: 3-s segment (298 frames)
const T = 298;
const x = new ort.Tensor(
  'float32',
  new Float32Array(T * 80).map((_, i) => Math.sin(i * 0.37)),
  [1, T, 80],
);
for (let i = 0; i < 5; i++) await spk.run({ feats: x });
const n = 30;
let t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) await spk.run({ feats: x });
const msSpk = Number(process.hrtime.bigint() - t0) / 1e6 / n;
let msAg = null;
if (ag) {
  t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await ag.run({ feats: x });
  msAg = Number(process.hrtime.bigint() - t0) / 1e6 / n;
}
console.log(
  JSON.stringify({
    files: ref.items.length,
    min_cosine: minCos,
    max_abs_gender_prob_diff: maxP,
    max_abs_age_diff: maxAge,
    max_abs_age_std_diff: maxStd,
    fails,
    ms_per_3s_segment_spk_1thread: +msSpk.toFixed(2),
    ms_per_3s_segment_ag_1thread: msAg === null ? null : +msAg.toFixed(2),
  }),
);
process.exit(fails ? 1 : 0);
