/**
 * `npm run bench:models` — CPU cost of each model call on real dev audio (a benchmark, not a test).
 *
 * Units, as the issues state their budgets:
 * - speaker encoder (`callscope_spk_encoder_v1`): one 3-s segment = 298 fbank frames [1, 298, 80];
 *   the model call only (the "encoder CPU cost ≤ 5 ms per 3 s segment"), and the fbank of
 *   those 3 s (TypeScript) beside it;
 * - age/gender (`callscope_agegender_v1`): one 3-s segment (fbank + the pitch statistics input);
 * - segmentation (pyannote segmentation-3.0 int8): one 10-s window;
 * - Silero VAD v6: one 32-ms frame (512 samples).
 * Each unit is timed over consecutive segments of the dev recordings, in `ROUNDS` rounds (default
 * 5); the figure per round is wall ms and process CPU ms per unit, and the report gives the median
 * over rounds. Sessions are created as the engine creates them (one intra-op thread each).
 * Writes `bench/results/models.json` and `bench/results/models.md`.
 * Environment: CALLSCOPE_MODELS_DIR (models), BENCH_ROUNDS.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';

import { devDataRoot } from '../src-main/cli/eval-dev.ts';
import { startRunRecord } from '../src-main/cli/run-record.ts';
import { applyCmn, computeFbank } from '../src-main/engine/audio/fbank.ts';
import { decodeStream, ENGINE_SAMPLE_RATE, probeAudio } from '../src-main/engine/audio/ffmpeg.ts';
import { concatFloat32 } from '../src-main/engine/audio/samples.ts';
import { FB_DIM } from '../src-main/engine/diarization/speaker-frames.ts';
import { SEG_WINDOW } from '../src-main/engine/diarization/segmentation.ts';
import { OnnxModel } from '../src-main/engine/inference/onnx.ts';
import { loadEngineModels } from '../src-main/engine/pipeline/analyze-file.ts';
import { SileroVad } from '../src-main/engine/vad/silero.ts';
import { median } from './stats.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SR = ENGINE_SAMPLE_RATE;
const root = resolve(import.meta.dirname, '..');
const outDir = join(root, 'bench', 'results');

const r3 = (v: number): number => Number(v.toFixed(3));

/** Mono 16 kHz samples of every dev diarization recording, concatenated. */
async function devAudio(): Promise<Float32Array> {
  const dir = join(devDataRoot(), 'diarization');
  const parts: Float32Array[] = [];
  for (const f of readdirSync(dir)
    .filter((x) => !x.endsWith('.rttm'))
    .sort()) {
    const file = join(dir, f);
    for await (const [x] of decodeStream(file, await probeAudio(file), { channels: 'mono' })) parts.push(x);
  }
  return concatFloat32(parts);
}

interface UnitCost {
  unit: string;
  units: number;
  wallMs: number;
  cpuMs: number;
  perRound: { wallMs: number; cpuMs: number }[];
}

/** A timed stage: a unit name, its inputs and the call to time per input. */
interface Stage<T> {
  name: string;
  unit: string;
  inputs: T[];
  fn: (x: T) => Promise<unknown>;
}

/**
 * Times every stage once per round, stages interleaved within a round (so that drift of a shared
 * machine hits every stage alike), after a warm-up of three calls each.
 * @returns per stage, the median over rounds of per-unit wall and CPU ms.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- stages of different input types
async function timeStages(stages: Stage<any>[]): Promise<Record<string, UnitCost>> {
  for (const st of stages) for (const x of st.inputs.slice(0, 3)) await st.fn(x);
  const rounds = new Map<string, { wallMs: number; cpuMs: number }[]>(stages.map((s) => [s.name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const st of stages) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (const x of st.inputs) await st.fn(x);
      const wall = performance.now() - t0;
      const c = process.cpuUsage(c0);
      rounds
        .get(st.name)!
        .push({ wallMs: wall / st.inputs.length, cpuMs: (c.user + c.system) / 1000 / st.inputs.length });
    }
  }
  const out: Record<string, UnitCost> = {};
  for (const st of stages) {
    const per = rounds.get(st.name)!;
    out[st.name] = {
      unit: st.unit,
      units: st.inputs.length,
      wallMs: r3(median(per.map((p) => p.wallMs))),
      cpuMs: r3(median(per.map((p) => p.cpuMs))),
      perRound: per.map((p) => ({ wallMs: r3(p.wallMs), cpuMs: r3(p.cpuMs) })),
    };
  }
  return out;
}

async function main(): Promise<void> {
  const load0 = loadavg()[0];
  const run = startRunRecord(import.meta.dirname);
  const audio = await devAudio();
  const seg3 = 3 * SR;
  const segments: Float32Array[] = [];
  for (let s = 0; s + seg3 <= audio.length && segments.length < 100; s += 7 * SR) {
    segments.push(audio.slice(s, s + seg3));
  }
  const fbanks = segments.map((x) => computeFbank(x));
  const frames = fbanks[0].length / FB_DIM;

  // the engine's own loader, with the project's models pinned (not the user's model choices)
  const engine = await loadEngineModels({
    embedding: 'callscope_spk_encoder_v1',
    ageGender: 'callscope_agegender_v1',
    models: { vad: 'silero-vad-v6', segmentation: 'pyannote-segmentation-3.0-int8' },
  });
  const { embedder: encoder, segmenter } = engine;
  const ageGender = engine.ageGender!;
  const vad = new SileroVad(engine.vadModel, 1);
  const windows: Float32Array[] = [];
  for (let s = 0; s + SEG_WINDOW <= audio.length && windows.length < 20; s += 3 * SEG_WINDOW) {
    windows.push(audio.slice(s, s + SEG_WINDOW));
  }
  const vadFrames: Float32Array[] = [];
  for (let s = 0; s + 512 <= audio.length && vadFrames.length < 2000; s += 512) {
    vadFrames.push(audio.slice(s, s + 512));
  }

  // a second session of the encoder for the model-only figure (the engine's session is private to
  // its embedding backend), fed the input as the engine prepares it (per-utterance CMN)
  const encoderModel = await OnnxModel.load('callscope_spk_encoder_v1', {
    intraOpThreads: 1,
    role: 'embedding',
  });
  const cmnFeats = fbanks.map((f) => applyCmn(f.slice()));
  const seg3Unit = `3-s segment (${frames} frames)`;
  const results = await timeStages([
    {
      name: 'encoder model call',
      unit: seg3Unit,
      inputs: cmnFeats,
      fn: (f: Float32Array) => encoderModel.run({ feats: { data: f, dims: [1, frames, FB_DIM] } }),
    },
    {
      name: 'encoder, engine embed (CMN + model)',
      unit: seg3Unit,
      inputs: fbanks,
      fn: (f: Float32Array) => encoder.embed(f.slice()),
    },
    {
      name: 'fbank (TypeScript)',
      unit: '3-s segment',
      inputs: segments,
      fn: async (x: Float32Array) => computeFbank(x),
    },
    {
      name: 'age/gender (fbank + pitch + model)',
      unit: '3-s segment',
      inputs: segments,
      fn: (x: Float32Array) => ageGender.estimate(computeFbank(x), 3, x),
    },
    {
      name: 'segmentation',
      unit: '10-s window',
      inputs: windows,
      fn: (w: Float32Array) => segmenter.segment([w]),
    },
    {
      name: 'Silero VAD',
      unit: '32-ms frame (512 samples)',
      inputs: vadFrames,
      fn: (f: Float32Array) => vad.push(f),
    },
  ]);
  const report = {
    date: new Date().toISOString(),
    machine: `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}`,
    loadAverage: { start: r3(load0), end: r3(loadavg()[0]) },
    rounds: ROUNDS,
    models: engine.models.map(
      (m) => `${m.role}: ${m.id} ${m.version} on ${m.provider?.name ?? 'no provider (model-free)'}`,
    ),
    results,
    run: run.finish(),
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'models.json'), JSON.stringify(report, null, 2) + '\n');
  const rows = Object.entries(results).map(
    ([name, c]) => `| ${name} | ${c.unit} | ${c.units} | ${c.wallMs} | ${c.cpuMs} |`,
  );
  const md = [
    `# Model call cost (${report.date})`,
    '',
    `Machine: ${report.machine}; 1-minute load average ${report.loadAverage.start} at the start, ${report.loadAverage.end} at the end. Median over ${ROUNDS} rounds of the per-unit cost (each round times every unit once, after a warm-up).`,
    '',
    '| model / stage | unit | units per round | wall ms per unit (median) | CPU ms per unit (median) |',
    '| --- | --- | ---: | ---: | ---: |',
    ...rows,
    '',
    'Budget (issue "Train Callscope\'s own compact speaker encoder"): encoder ≤ 5 ms of CPU per 3-s segment (the model call; the engine\'s embed adds the per-utterance CMN and a copy).',
    '',
  ].join('\n');
  writeFileSync(join(outDir, 'models.md'), md);
  process.stdout.write(md);
}

await main();
