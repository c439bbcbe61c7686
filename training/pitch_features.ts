/**
 * Pitch statistics of audio files with the engine's own TypeScript code
 * (`src-main/engine/audio/pitch.ts`), so the age/gender model is trained on exactly the features
 * the engine computes at run time.
 *
 * Input: a text file with one item per line, `key<TAB>path[<TAB>start_s<TAB>end_s ...]`, where
 * `path` is a 16 kHz mono int16 `.npy` file (as written by `decode_cache.py`) and optional
 * start/end pairs (seconds) select spans that are concatenated first (e.g. single-speaker turns
 * from an RTTM). Output: CSV `key,<PITCH_STATS_NAMES...>,seconds`.
 *
 * Run: node --import tsx training/pitch_features.ts LIST.tsv OUT.csv
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { PITCH_STATS_NAMES, pitchStats } from '../src-main/engine/audio/pitch.ts';
import { concatFloat32 } from '../src-main/engine/audio/samples.ts';

const SR = 16000;

/**
 * Reads a little-endian int16 1-D `.npy` file as float samples in [-1, 1].
 * @throws Error when the file is not an int16 .npy.
 */
function readNpyInt16(path: string): Float32Array {
  const b = readFileSync(path);
  if (b.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = b[6];
  const headerLen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = b.toString('latin1', major === 1 ? 10 : 12, start);
  if (!header.includes("'<i2'")) throw new Error(`${path}: expected int16 samples, header ${header.trim()}`);
  const n = (b.length - start) / 2;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = b.readInt16LE(start + 2 * i) / 32768;
  return out;
}

/** Concatenation of the spans [start_s, end_s) of `x`. */
function spans(x: Float32Array, bounds: number[]): Float32Array {
  if (!bounds.length) return x;
  const parts: Float32Array[] = [];
  for (let i = 0; i + 1 < bounds.length; i += 2) {
    parts.push(x.subarray(Math.round(bounds[i] * SR), Math.min(x.length, Math.round(bounds[i + 1] * SR))));
  }
  return concatFloat32(parts);
}

function main(): void {
  const [list, outPath] = process.argv.slice(2);
  if (!list || !outPath) throw new Error('usage: pitch_features.ts LIST.tsv OUT.csv');
  const lines = readFileSync(list, 'utf8').split('\n').filter(Boolean);
  const rows = [['key', ...PITCH_STATS_NAMES, 'seconds'].join(',')];
  const t0 = Date.now();
  lines.forEach((line, i) => {
    const [key, path, ...rest] = line.split('\t');
    const x = spans(readNpyInt16(path), rest.map(Number));
    const s = pitchStats(x);
    rows.push([key, ...Array.from(s, (v) => v.toFixed(5)), (x.length / SR).toFixed(2)].join(','));
    if ((i + 1) % 200 === 0)
      console.error(`${i + 1}/${lines.length} ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  });
  writeFileSync(outPath, rows.join('\n') + '\n');
  console.error(`wrote ${lines.length} rows to ${outPath}`);
}

main();
