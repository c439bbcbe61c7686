/**
 * RTF of the whole pipeline on a silent recording (issue 13: a 2-h silent file took 12 min).
 * Writes `BENCH_SILENCE_MIN` minutes (default 10) of seeded low-level white noise (−66 dBFS RMS)
 * to `bench/results/tmp/silence.wav`, analyses it once to warm up and once timed, with and
 * without the VAD speech gate, and prints wall-clock and CPU-time RTF and the segmentation calls.
 * Run: `node --import tsx bench/silence.ts`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { analyzeFile, DEFAULT_PARAMS, loadEngineModels } from '../src-main/engine/pipeline/analyze-file.ts';
import { encodeWav, seededRandom } from '../src-main/test-support.ts';

const minutes = Number(process.env.BENCH_SILENCE_MIN ?? 10);
const dir = join(import.meta.dirname, 'results', 'tmp');
mkdirSync(dir, { recursive: true });
const file = join(dir, 'silence.wav');
const rand = seededRandom(7);
writeFileSync(
  file,
  encodeWav([Float32Array.from({ length: minutes * 60 * 16_000 }, () => 1e-3 * (rand() - 0.5))], 16_000),
);
const models = await loadEngineModels({ ageGender: null });
let calls = 0;
const seg = models.segmenter;
const segment = seg.segment.bind(seg);
seg.segment = (w: Float32Array[]) => {
  calls += w.length;
  return segment(w);
};
for (const gate of [0.2, null]) {
  const params = { ...DEFAULT_PARAMS, silentWindowMaxProb: gate };
  await analyzeFile(file, models, {}, undefined, params); // warm-up
  calls = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await analyzeFile(file, models, {}, undefined, params);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `${minutes} min silence, gate ${gate ?? 'off'}: RTF wall ${(wall / r.durationS).toFixed(4)}, ` +
      `CPU (main process) ${((cpu.user + cpu.system) / 1e6 / r.durationS).toFixed(4)}, segmentation windows ${calls}, turns ${r.turns.length}`,
  );
}
process.exit(0);
