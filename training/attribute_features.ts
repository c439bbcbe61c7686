/**
 * Per-file inputs of the age/gender calibration (`training/calibrate_ag.py`), computed with the
 * engine's own code: ffmpeg decode to 16 kHz mono, Kaldi fbank, YIN pitch statistics, the shipped
 * `callscope_agegender_v1` ONNX model (raw outputs, not rounded) and the voiced-frame spectral
 * envelope ({@link voicedSpectralShape}, `src-main/engine/attributes/calibration.ts`).
 *
 * Input: a text file with one item per line, `key<TAB>path[<TAB>start_s<TAB>dur_s]` (any format
 * ffmpeg decodes; with start/duration only that crop of the decoded audio is used, e.g. to measure
 * how the calibration holds on the first seconds of speech).
 * Output: CSV `key,seconds,p_female,p_male,p_child,age,age_std,<pitch stats>,<shape bands>`.
 *
 * Run: CALLSCOPE_MODELS_DIR=… node --import tsx training/attribute_features.ts LIST.tsv OUT.csv
 */
import { readFileSync, writeFileSync } from 'node:fs';

import { decodeStream, probeAudio } from '../src-main/engine/audio/ffmpeg.ts';
import { applyCmn, computeFbank } from '../src-main/engine/audio/fbank.ts';
import {
  PITCH_STATS_DIM,
  PITCH_STATS_NAMES,
  pitchStats,
  trackPitch,
} from '../src-main/engine/audio/pitch.ts';
import { concatFloat32 } from '../src-main/engine/audio/samples.ts';
import { SHAPE_BANDS, voicedSpectralShape } from '../src-main/engine/attributes/calibration.ts';
import { OnnxModel } from '../src-main/engine/inference/onnx.ts';

async function decode(path: string): Promise<Float32Array> {
  const parts: Float32Array[] = [];
  for await (const [x] of decodeStream(path, await probeAudio(path), { channels: 'mono' })) parts.push(x);
  return concatFloat32(parts);
}

async function main(): Promise<void> {
  const [list, outPath] = process.argv.slice(2);
  if (!list || !outPath) throw new Error('usage: attribute_features.ts LIST.tsv OUT.csv');
  const model = await OnnxModel.load('callscope_agegender_v1', { intraOpThreads: 1, role: 'agegender' });
  const lines = readFileSync(list, 'utf8').split('\n').filter(Boolean);
  const header = ['key', 'seconds', 'p_female', 'p_male', 'p_child', 'age', 'age_std', ...PITCH_STATS_NAMES];
  for (let b = 0; b < SHAPE_BANDS.length; b++) header.push(`shape_${b}`);
  const rows = [header.join(',')];
  const t0 = Date.now();
  for (let i = 0; i < lines.length; i++) {
    const [key, path, start, dur] = lines[i].split('\t');
    try {
      const decoded = await decode(path);
      const s0 = start ? Math.round(Number(start) * 16000) : 0;
      const audio = dur ? decoded.subarray(s0, s0 + Math.round(Number(dur) * 16000)) : decoded.subarray(s0);
      const raw = computeFbank(audio);
      const frames = raw.length / 80;
      if (frames < 50) continue;
      const track = trackPitch(audio);
      const shape = voicedSpectralShape(raw, track);
      const feats = applyCmn(Float32Array.from(raw));
      const out = await model.run({
        feats: { data: feats, dims: [1, frames, 80] },
        pitch_stats: { data: pitchStats(track), dims: [1, PITCH_STATS_DIM] },
      });
      const p = out.gender_probs.data;
      rows.push(
        [
          key,
          (audio.length / 16000).toFixed(2),
          ...Array.from(p, (v) => v.toFixed(6)),
          out.age_years.data[0].toFixed(3),
          out.age_std.data[0].toFixed(3),
          ...Array.from(pitchStats(track), (v) => v.toFixed(5)),
          ...Array.from(shape, (v) => v.toFixed(4)),
        ].join(','),
      );
    } catch (err) {
      console.error(`${key}: ${(err as Error).message}`);
    }
    if ((i + 1) % 100 === 0)
      console.error(`${i + 1}/${lines.length} ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  writeFileSync(outPath, rows.join('\n') + '\n');
  console.error(`wrote ${rows.length - 1} rows to ${outPath}`);
}

await main();
