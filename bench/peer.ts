/**
 * `npm run bench:peer` — side-by-side comparison with sherpa-onnx (a benchmark, not a test).
 *
 * In one process, on every recording of the dev diarization set (`../shared/data/dev/diarization`):
 *  - **sherpa-onnx** `OfflineSpeakerDiarization` (npm `sherpa-onnx-node`, 1 thread): the same
 *    pyannote segmentation-3.0 int8 file Callscope uses, Callscope's trained encoder exported with
 *    sherpa's metadata by `bench/export-sherpa-encoder.py`, sherpa's fast (complete-linkage,
 *    cosine-distance) clustering with a distance threshold (the number of speakers is unknown);
 *    input: the file decoded by Callscope's own ffmpeg decode, down-mixed to 16 kHz mono float32.
 *    Two variants: the encoder as is, and with `--mel-adapter` (a fixed linear map from sherpa's
 *    20–7600 Hz mel filters to Callscope's 20–8000 Hz ones, giving sherpa the closest features);
 *  - **Callscope** `analyzeFile` with the manifest's default embedding, and again with
 *    `callscope_spk_encoder_v1`, everything else as the app runs it (age/gender included).
 * Each is scored with Callscope's DER (`evaluateRttmDirs`: no collar, overlap scored, no UEM) and
 * timed (wall clock and process CPU time, decode included) → RTF = seconds per second of audio.
 *
 * Before the timed run, each sherpa variant's clustering threshold is swept over {@link SWEEP} on
 * the same dev set and the best total DER is kept (the dev set is also where Callscope's defaults
 * were tuned); the sweep is in the report. The encoder parity check compares sherpa's embedding
 * of one reference turn per file with Callscope's `OnnxEmbedding` of the same samples (cosine).
 *
 * Writes `bench/results/peer.json` and `bench/results/peer.md`; hypothesis RTTMs go to the
 * git-ignored `bench/results/tmp/peer/`. Environment: CALLSCOPE_MODELS_DIR (default
 * `../shared/models`), CALLSCOPE_DEV_DATA, PEER_THRESHOLD (fixes sherpa's threshold, no sweep),
 * PEER_FILES (comma list of file-name substrings, for a quick partial run).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { basename, join, resolve } from 'node:path';

import { devDataRoot } from '../src-main/cli/eval-dev.ts';
import { startRunRecord, type RunRecord } from '../src-main/cli/run-record.ts';
import { outputBaseName } from '../src-main/cli/analyze.ts';
import { computeFbank } from '../src-main/engine/audio/fbank.ts';
import { decodeStream, probeAudio } from '../src-main/engine/audio/ffmpeg.ts';
import { concatFloat32 } from '../src-main/engine/audio/samples.ts';
import { OnnxEmbedding } from '../src-main/engine/diarization/embedding.ts';
import { evaluateRttmDirs, type EvalReport, type FileEval } from '../src-main/engine/eval/eval-dirs.ts';
import { dequantizeModel } from '../src-main/engine/inference/dequantize.ts';
import { resolveModel } from '../src-main/engine/inference/registry.ts';
import { analyzeFile, loadEngineModels, type EngineModels } from '../src-main/engine/index.ts';
import type { StageTimings } from '../src-shared/contracts/analysis.ts';
import { resultToRttm } from '../src-shared/formats/exports.ts';
import { formatRttm, parseRttm } from '../src-shared/formats/rttm.ts';

const root = resolve(import.meta.dirname, '..');
// models are looked up at call time (registry.candidatePaths), so this default applies
process.env.CALLSCOPE_MODELS_DIR ??= resolve(root, '..', 'shared', 'models');

const ENCODER_ID = 'callscope_spk_encoder_v1';
const SEGMENTATION_ID = 'pyannote-segmentation-3.0-int8';
const SAMPLE_RATE = 16_000;
/** sherpa-onnx's own defaults (sherpa-onnx/csrc/offline-speaker-diarization.h), seconds. */
const MIN_DURATION_ON = 0.3;
const MIN_DURATION_OFF = 0.5;
/** Cosine-distance thresholds tried for sherpa's clustering (sherpa's default is 0.5). */
const SWEEP = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
const AUDIO = /\.(wav|m4a|mp3|flac|ogg|opus|webm|aac)$/i;
const outDir = join(root, 'bench', 'results');
const tmpDir = join(outDir, 'tmp', 'peer');
/** sherpa variants: id, label, exported encoder file, export flags. */
const SHERPA_VARIANTS = [
  { id: 'sherpa', label: 'sherpa-onnx', file: 'callscope_spk_encoder_v1.sherpa.onnx', flags: [] },
  {
    id: 'sherpa-mel',
    label: 'sherpa-onnx + mel adapter',
    file: 'callscope_spk_encoder_v1.sherpa-mel.onnx',
    flags: ['--mel-adapter'],
  },
].map((v) => ({ ...v, path: join(root, 'bench', 'out', v.file) }));
type SherpaVariant = (typeof SHERPA_VARIANTS)[number];

/** One turn from sherpa-onnx (`SpeakerDiarizationSegment`): seconds, integer speaker id. */
interface SherpaSegment {
  start: number;
  end: number;
  speaker: number;
}
/** The parts of `sherpa-onnx-node` used here (the package ships JSDoc, no TypeScript types). */
interface SherpaStream {
  acceptWaveform(w: { sampleRate: number; samples: Float32Array }): void;
  inputFinished(): void;
}
interface SherpaModule {
  version: string;
  onnxruntimeVersion: string;
  OfflineSpeakerDiarization: new (config: object) => {
    sampleRate: number;
    process(samples: Float32Array): SherpaSegment[];
    setConfig(config: { clustering: { numClusters: number; threshold: number } }): void;
  };
  SpeakerEmbeddingExtractor: new (config: object) => {
    dim: number;
    createStream(): SherpaStream;
    compute(stream: SherpaStream, enableExternalBuffer?: boolean): Float32Array;
  };
}
type SherpaDiarizer = InstanceType<SherpaModule['OfflineSpeakerDiarization']>;

/** Timing and scoring of one system on one file. */
interface FileRun {
  file: string;
  durationS: number;
  wallS: number;
  cpuS: number;
  speakers: number;
  stagesMs?: StageTimings;
}

/** Per-system totals. Rates are fractions; RTF = processing seconds / audio seconds. */
interface SystemReport {
  id: string;
  label: string;
  runs: FileRun[];
  eval: FileEval[];
  total: { der: number; missed: number; falseAlarm: number; confusion: number; total: number };
  audioS: number;
  wallS: number;
  cpuS: number;
  rtf: number;
  cpuRtf: number;
}

/** Loads the native addon with an actionable error. @throws Error when it cannot load. */
function loadSherpa(): SherpaModule {
  try {
    return createRequire(import.meta.url)('sherpa-onnx-node') as SherpaModule;
  } catch (err) {
    throw new Error(
      `sherpa-onnx-node could not be loaded (${(err as Error).message}); run \`npm install\` ` +
        '(it brings the prebuilt sherpa-onnx-linux-x64 / -darwin-* addon). On Linux, if the loader ' +
        'cannot find libonnxruntime.so, add node_modules/sherpa-onnx-linux-x64 to LD_LIBRARY_PATH.',
      { cause: err },
    );
  }
}

/**
 * Writes the sherpa-tagged copy of the encoder for one variant (always re-exported: under a second).
 * @throws Error when Debian python3 or python3-onnx is missing, or the export fails.
 */
function exportEncoder(src: string, v: SherpaVariant): void {
  const script = join(root, 'bench', 'export-sherpa-encoder.py');
  try {
    const out = execFileSync('/usr/bin/python3', [script, ...v.flags, src, v.path], { encoding: 'utf8' });
    process.stderr.write(out);
  } catch (err) {
    throw new Error(
      `exporting the encoder for sherpa-onnx failed (needs /usr/bin/python3 with python3-onnx): ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** Decodes a file with Callscope's ffmpeg decode, down-mixed. @returns 16 kHz mono samples in [-1, 1]. */
async function decodeMono(file: string): Promise<Float32Array> {
  const probe = await probeAudio(file);
  const parts: Float32Array[] = [];
  for await (const block of decodeStream(file, probe, { channels: 'mono' })) parts.push(block[0]);
  return concatFloat32(parts);
}

/** Runs `fn` and measures wall clock and process CPU time (all threads; not ffmpeg children). */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; wallS: number; cpuS: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const wallS = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { value, wallS, cpuS: (c.user + c.system) / 1e6 };
}

/**
 * sherpa on one file: decode (unless `decoded` is given) + diarize.
 * @returns turns with speaker names `spk<N>`, timed.
 */
async function sherpaFile(sd: SherpaDiarizer, file: string, decoded?: Float32Array) {
  return timed(async () => {
    const samples = decoded ?? (await decodeMono(file));
    const segs = sd.process(samples);
    return {
      durationS: samples.length / SAMPLE_RATE,
      turns: segs.map((s) => ({ start: s.start, end: s.end, speaker: `spk${s.speaker}` })),
    };
  });
}

/** Writes one hypothesis RTTM per file into a fresh folder, scores it (no collar). */
async function score(refDir: string, hypDir: string, hyps: Map<string, string>): Promise<EvalReport> {
  rmSync(hypDir, { recursive: true, force: true });
  mkdirSync(hypDir, { recursive: true });
  for (const [id, rttm] of hyps) writeFileSync(join(hypDir, `${id}.rttm`), rttm);
  return evaluateRttmDirs(refDir, hypDir, { collars: [0] });
}

/** Reference RTTM folder restricted to the files in the run (PEER_FILES). */
function referenceDir(dir: string, files: string[]): string {
  if (files.length === readdirSync(dir).filter((n) => AUDIO.test(n)).length) return dir;
  const sub = join(tmpDir, 'ref');
  rmSync(sub, { recursive: true, force: true });
  mkdirSync(sub, { recursive: true });
  for (const f of files) {
    const id = outputBaseName(f);
    writeFileSync(join(sub, `${id}.rttm`), readFileSync(join(dir, `${id}.rttm`)));
  }
  return sub;
}

/**
 * Sweeps a sherpa variant's clustering threshold over {@link SWEEP} (audio decoded once).
 * @returns total DER (no collar, fraction) per threshold.
 */
async function sweep(
  sd: SherpaDiarizer,
  v: SherpaVariant,
  audio: Map<string, Float32Array>,
  refDir: string,
): Promise<{ threshold: number; der: number }[]> {
  const rows: { threshold: number; der: number }[] = [];
  for (const threshold of SWEEP) {
    sd.setConfig({ clustering: { numClusters: -1, threshold } });
    const hyps = new Map<string, string>();
    for (const [f, samples] of audio) {
      const { value } = await sherpaFile(sd, f, samples);
      hyps.set(outputBaseName(f), formatRttm(outputBaseName(f), value.turns));
    }
    const rep = await score(refDir, join(tmpDir, `sweep-${v.id}-${threshold}`), hyps);
    rows.push({ threshold, der: rep.total.der['0'].der });
    process.stderr.write(
      `${v.label} threshold ${threshold}: DER ${(100 * rep.total.der['0'].der).toFixed(1)} %\n`,
    );
  }
  return rows;
}

/**
 * Encoder parity: for each file, the longest reference turn (cut to ≤ 10 s) is embedded by
 * sherpa's extractor (sherpa fbank + the exported encoder) and by Callscope (`computeFbank` +
 * `OnnxEmbedding`, CMN). @returns the cosine per file.
 */
async function parity(
  sherpa: SherpaModule,
  v: SherpaVariant,
  dir: string,
  audio: Map<string, Float32Array>,
): Promise<{ file: string; startS: number; endS: number; cosine: number }[]> {
  const extractor = new sherpa.SpeakerEmbeddingExtractor({ model: v.path, numThreads: 1, debug: 0 });
  const ours = await OnnxEmbedding.create(ENCODER_ID);
  const rows: { file: string; startS: number; endS: number; cosine: number }[] = [];
  for (const [path, samples] of audio) {
    const f = basename(path);
    const ref = readFileSync(join(dir, `${outputBaseName(f)}.rttm`), 'utf8');
    const turns = [...parseRttm(ref).values()].flat();
    const turn = turns.sort((a, b) => b.end - b.start - (a.end - a.start))[0];
    if (!turn || turn.end - turn.start < 1) continue;
    const endS = Math.min(turn.end, turn.start + 10);
    const seg = samples.slice(Math.round(turn.start * SAMPLE_RATE), Math.round(endS * SAMPLE_RATE));
    const stream = extractor.createStream();
    stream.acceptWaveform({ sampleRate: SAMPLE_RATE, samples: seg });
    stream.inputFinished();
    const a = extractor.compute(stream, false);
    const b = await ours.embed(computeFbank(seg));
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < b.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    rows.push({ file: f, startS: turn.start, endS, cosine: dot / Math.sqrt(na * nb) });
  }
  return rows;
}

/** Sums one system's runs and scores into a report. */
function summarise(id: string, label: string, runs: FileRun[], rep: EvalReport): SystemReport {
  const audioS = runs.reduce((s, r) => s + r.durationS, 0);
  const wallS = runs.reduce((s, r) => s + r.wallS, 0);
  const cpuS = runs.reduce((s, r) => s + r.cpuS, 0);
  const t = rep.total.der['0'];
  return {
    id,
    label,
    runs,
    eval: rep.files,
    total: { der: t.der, missed: t.missed, falseAlarm: t.falseAlarm, confusion: t.confusion, total: t.total },
    audioS,
    wallS,
    cpuS,
    rtf: wallS / audioS,
    cpuRtf: cpuS / audioS,
  };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** Settings and calibration of one sherpa variant, as reported. */
interface SherpaSetup {
  id: string;
  label: string;
  threshold: number;
  sweep: { threshold: number; der: number }[];
  parity: { file: string; startS: number; endS: number; cosine: number }[];
}

/** Everything `peer.json` holds. */
interface PeerReport {
  date: string;
  machine: {
    cpuModel: string;
    cores: number;
    node: string;
    loadAverageStart: number;
    loadAverageEnd: number;
  };
  sherpa: { version: string; onnxruntimeVersion: string; segmentation: string; encoder: string };
  variants: SherpaSetup[];
  files: number;
  systems: SystemReport[];
  /** `<sherpa id>/<callscope id>.{wall,cpu}` → sherpa RTF / Callscope RTF (> 1: Callscope faster). */
  ratios: Record<string, number>;
  /** Machine, load average, date and commit (`src-main/cli/run-record.ts`). */
  run: RunRecord;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);

/** Markdown header: machine, sherpa settings, sweeps, parity. */
function mdSetup(r: PeerReport): string {
  const m = r.machine;
  let md = `# Side-by-side: sherpa-onnx vs Callscope (${r.date})\n\n`;
  md += `Machine: ${m.cpuModel}, ${m.cores} cores, Node ${m.node}; 1-minute load average ${m.loadAverageStart} at the start, ${m.loadAverageEnd} at the end. The machine is shared with other work, so wall-clock RTF is inflated; CPU-time RTF (process CPU seconds per audio second, all threads, ffmpeg decode children excluded for every system) is the steadier figure. One timed run per file and system, interleaved file by file, after one untimed warm-up.\n\n`;
  md += `sherpa-onnx-node ${r.sherpa.version} (its own onnxruntime ${r.sherpa.onnxruntimeVersion}), 1 thread; segmentation ${r.sherpa.segmentation} (the same graph as Callscope: the int8 file, run by both with float activations, as the manifest's dequantize flag says); embedding: ${r.sherpa.encoder} exported by bench/export-sherpa-encoder.py; fast clustering (complete linkage, cosine distance) with a threshold; minDurationOn ${MIN_DURATION_ON} s, minDurationOff ${MIN_DURATION_OFF} s (sherpa defaults).\n\n`;
  md +=
    '| sherpa variant | threshold | sweep on this dev set (threshold → total DER) | encoder parity: cosine mean / min |\n| --- | ---: | --- | ---: |\n';
  for (const v of r.variants) {
    const cos = v.parity.map((p) => p.cosine);
    const sweepText = v.sweep.length
      ? v.sweep.map((x) => `${x.threshold} → ${pct(x.der)}`).join(', ')
      : 'none (PEER_THRESHOLD)';
    md += `| ${v.label} | ${v.threshold} | ${sweepText} | ${mean(cos).toFixed(4)} / ${Math.min(...cos).toFixed(4)} |\n`;
  }
  md += `\nEncoder parity: the cosine between sherpa's embedding (sherpa's fbank + the exported encoder) and Callscope's (\`computeFbank\` + \`OnnxEmbedding\`) of the longest reference turn of each file (≤ 10 s). sherpa's fbank for speaker models is fixed (FeatureExtractorConfig defaults): mel filters 20–7600 Hz instead of Callscope's 20–8000 Hz, and no edge snipping; the metadata reproduces the rest (int16 sample scale, per-utterance mean normalisation). The mel adapter maps sherpa's bins onto Callscope's by interpolation.\n\n`;
  return md;
}

/** Markdown tables: DER per file and RTF per file, totals, ratios. */
function mdTables(r: PeerReport): string {
  const sys = r.systems;
  const [first] = sys;
  const head = (title: string): string =>
    `| ${title} | ${sys.map((s) => s.label).join(' | ')} |\n| --- | ${sys.map(() => '---:').join(' | ')} |\n`;
  const derCell = (d: {
    der: number;
    missed: number;
    falseAlarm: number;
    confusion: number;
    total: number;
  }): string => {
    const t = d.total || 1;
    return `${pct(d.der)} (${pct(d.missed / t)} / ${pct(d.falseAlarm / t)} / ${pct(d.confusion / t)})`;
  };
  let md =
    '## DER per file (no collar, overlap scored): DER (miss / FA / confusion), hypothesis speakers\n\n';
  md += head('file (ref speakers)');
  first.eval.forEach((e, i) => {
    md += `| ${e.fileId} (${e.refSpeakers}) | ${sys.map((s) => `${derCell(s.eval[i].der['0'])}, ${s.eval[i].hypSpeakers}`).join(' | ')} |\n`;
  });
  md += `| **TOTAL** | ${sys.map((s) => `**${derCell(s.total)}**`).join(' | ')} |\n\n`;
  md += '## RTF per file: wall clock / CPU time\n\n';
  md += head('file (s)');
  first.runs.forEach((run, i) => {
    const cells = sys.map((s) => {
      const x = s.runs[i];
      return `${(x.wallS / x.durationS).toFixed(4)} / ${(x.cpuS / x.durationS).toFixed(4)}`;
    });
    md += `| ${outputBaseName(run.file)} (${run.durationS.toFixed(1)}) | ${cells.join(' | ')} |\n`;
  });
  md += `| **TOTAL** (${first.audioS.toFixed(1)}) | ${sys.map((s) => `**${s.rtf.toFixed(4)} / ${s.cpuRtf.toFixed(4)}**`).join(' | ')} |\n\n`;
  md += 'RTF ratio sherpa / Callscope (> 1: Callscope is faster), wall clock / CPU time:\n\n';
  for (const [k, w] of Object.entries(r.ratios).filter(([key]) => key.endsWith('.wall'))) {
    const base = k.slice(0, -'.wall'.length);
    const [a, b] = base.split('/');
    const la = sys.find((s) => s.id === a)?.label;
    const lb = sys.find((s) => s.id === b)?.label;
    md += `- ${la} / ${lb}: ${w.toFixed(2)}× / ${r.ratios[`${base}.cpu`].toFixed(2)}×\n`;
  }
  const att = sys
    .filter((s) => s.runs.some((x) => x.stagesMs))
    .map(
      (s) =>
        `${s.label} ${(s.runs.reduce((a, x) => a + (x.stagesMs?.attributes ?? 0), 0) / 1000).toFixed(1)} s`,
    );
  md += `\nCallscope's times are its whole pipeline as the app runs it (decode, quality, VAD, segmentation, embeddings, clustering, age/gender; age/gender alone, summed wall clock: ${att.join(', ')}). sherpa's times are Callscope's decode plus sherpa's diarization.\n`;
  return md;
}

/** Decodes every file once (sweeps and parity). */
async function decodeAll(dir: string, files: string[]): Promise<Map<string, Float32Array>> {
  const audio = new Map<string, Float32Array>();
  for (const f of files) audio.set(join(dir, f), await decodeMono(join(dir, f)));
  return audio;
}

/** Builds each sherpa variant's diarizer, checks parity and picks its threshold. */
async function setUpSherpa(
  sherpa: SherpaModule,
  dir: string,
  refDir: string,
  audio: Map<string, Float32Array>,
  fixed: number | null,
): Promise<{ setups: SherpaSetup[]; diarizers: Map<string, SherpaDiarizer> }> {
  const seg = resolveModel(SEGMENTATION_ID);
  const encPath = resolveModel(ENCODER_ID).path;
  if (!seg.path || !encPath) throw new Error('the segmentation model and the encoder must be files');
  // sherpa-onnx runs the same graph as Callscope: with the manifest's `dequantize`, the
  // float-activation rewrite of the int8 file (inference/dequantize.ts), written to bench/out/
  let segPath = seg.path;
  if (seg.entry.dequantize) {
    segPath = join(root, 'bench', 'out', 'segmentation-float-activations.onnx');
    mkdirSync(join(root, 'bench', 'out'), { recursive: true });
    writeFileSync(segPath, dequantizeModel(readFileSync(seg.path)));
  }
  const setups: SherpaSetup[] = [];
  const diarizers = new Map<string, SherpaDiarizer>();
  for (const v of SHERPA_VARIANTS) {
    exportEncoder(encPath, v);
    const sd = new sherpa.OfflineSpeakerDiarization({
      segmentation: { pyannote: { model: segPath }, numThreads: 1, debug: 0, provider: 'cpu' },
      embedding: { model: v.path, numThreads: 1, debug: 0, provider: 'cpu' },
      clustering: { numClusters: -1, threshold: fixed ?? 0.5 },
      minDurationOn: MIN_DURATION_ON,
      minDurationOff: MIN_DURATION_OFF,
    });
    const par = await parity(sherpa, v, dir, audio);
    process.stderr.write(`${v.label} encoder parity: ${par.map((p) => p.cosine.toFixed(4)).join(' ')}\n`);
    const sw = fixed === null ? await sweep(sd, v, audio, refDir) : [];
    const threshold = fixed ?? sw.reduce((b, x) => (x.der < b.der ? x : b)).threshold;
    sd.setConfig({ clustering: { numClusters: -1, threshold } });
    setups.push({ id: v.id, label: v.label, threshold, sweep: sw, parity: par });
    diarizers.set(v.id, sd);
  }
  return { setups, diarizers };
}

/** A system under test: a sherpa diarizer or a Callscope model set. */
type System = { id: string; label: string } & (
  { kind: 'sherpa'; sd: SherpaDiarizer } | { kind: 'callscope'; models: EngineModels }
);

/** Runs one system on one file, timed. @returns the run and the hypothesis RTTM. */
async function runOne(s: System, file: string): Promise<{ run: FileRun; rttm: string }> {
  const id = outputBaseName(file);
  const name = basename(file);
  if (s.kind === 'sherpa') {
    const r = await sherpaFile(s.sd, file);
    const speakers = new Set(r.value.turns.map((t) => t.speaker)).size;
    const run = { file: name, durationS: r.value.durationS, wallS: r.wallS, cpuS: r.cpuS, speakers };
    return { run, rttm: formatRttm(id, r.value.turns) };
  }
  const r = await timed(() => analyzeFile(file, s.models));
  const run = {
    file: name,
    durationS: r.value.durationS,
    wallS: r.wallS,
    cpuS: r.cpuS,
    speakers: r.value.speakers.length,
    stagesMs: r.value.timingsMs,
  };
  return { run, rttm: resultToRttm(r.value, id) };
}

async function main(): Promise<void> {
  const sherpa = loadSherpa();
  const dir = join(devDataRoot(), 'diarization');
  const only = (process.env.PEER_FILES ?? '').split(',').filter(Boolean);
  const files = readdirSync(dir)
    .filter((n) => AUDIO.test(n))
    .filter((n) => only.length === 0 || only.some((x) => n.includes(x)))
    .sort();
  if (files.length === 0) throw new Error(`no recordings in ${dir} (PEER_FILES=${only.join(',')})`);
  const fixed = process.env.PEER_THRESHOLD ? Number(process.env.PEER_THRESHOLD) : null;
  if (fixed !== null && !(fixed > 0))
    throw new Error(`PEER_THRESHOLD must be a positive number, got ${fixed}`);
  const refDir = referenceDir(dir, files);
  const loadStart = loadavg()[0];
  const run = startRunRecord(import.meta.dirname);

  const audio = await decodeAll(dir, files);
  const { setups, diarizers } = await setUpSherpa(sherpa, dir, refDir, audio, fixed);
  audio.clear();
  const systems: System[] = setups.map((v) => ({
    id: v.id,
    label: v.label,
    kind: 'sherpa',
    sd: diarizers.get(v.id)!,
  }));
  const def = await loadEngineModels();
  systems.push({
    id: 'callscope-default',
    label: `Callscope (${def.embedder.id})`,
    kind: 'callscope',
    models: def,
  });
  if (def.embedder.id !== ENCODER_ID) {
    const enc = await loadEngineModels({ embedding: ENCODER_ID });
    systems.push({
      id: 'callscope-encoder',
      label: `Callscope (${ENCODER_ID})`,
      kind: 'callscope',
      models: enc,
    });
  }
  for (const s of systems) await runOne(s, join(dir, files[0])); // untimed warm-up

  const runs = new Map<string, FileRun[]>(systems.map((s) => [s.id, []]));
  const hyps = new Map<string, Map<string, string>>(systems.map((s) => [s.id, new Map()]));
  for (const f of files) {
    for (const s of systems) {
      const { run, rttm } = await runOne(s, join(dir, f));
      runs.get(s.id)!.push(run);
      hyps.get(s.id)!.set(outputBaseName(f), rttm);
      process.stderr.write(`${f} ${s.label}: RTF ${(run.wallS / run.durationS).toFixed(4)}\n`);
    }
  }
  const reports: SystemReport[] = [];
  for (const s of systems) {
    const rep = await score(refDir, join(tmpDir, s.id), hyps.get(s.id)!);
    reports.push(summarise(s.id, s.label, runs.get(s.id)!, rep));
  }
  const ratios: Record<string, number> = {};
  for (const a of reports.filter((x) => x.id.startsWith('sherpa'))) {
    for (const b of reports.filter((x) => x.id.startsWith('callscope'))) {
      ratios[`${a.id}/${b.id}.wall`] = a.rtf / b.rtf;
      ratios[`${a.id}/${b.id}.cpu`] = a.cpuRtf / b.cpuRtf;
    }
  }
  const report: PeerReport = {
    date: new Date().toISOString(),
    machine: {
      cpuModel: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      node: process.version,
      loadAverageStart: Number(loadStart.toFixed(2)),
      loadAverageEnd: Number(loadavg()[0].toFixed(2)),
    },
    sherpa: {
      version: sherpa.version,
      onnxruntimeVersion: sherpa.onnxruntimeVersion,
      segmentation: SEGMENTATION_ID,
      encoder: ENCODER_ID,
    },
    variants: setups,
    files: files.length,
    systems: reports,
    ratios,
    run: run.finish(),
  };
  const md = mdSetup(report) + mdTables(report);
  if (only.length === 0) {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'peer.json'), JSON.stringify(report, null, 2) + '\n');
    writeFileSync(join(outDir, 'peer.md'), md);
  } else {
    process.stderr.write('PEER_FILES set: partial run, bench/results/peer.{json,md} not written\n');
  }
  process.stdout.write(md);
}

await main();
