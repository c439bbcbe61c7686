/**
 * Leave-one-source-out cross-validation of the diarization clustering parameters (issue 13).
 *
 * 1. Cache (once per file, `bench/results/tmp/diar-cache/<file>.json`): every dev diarization
 *    and stereo recording is analysed once with the current pipeline (embedding `fbank-stats`
 *    unless `DIAR_CV_EMBEDDING` names another); the segmentation windows and embeddings of each
 *    diarized channel (`diarizerSnapshotsOf`) and the mic turns are stored. Delete the folder
 *    after a change of segmentation or embedding.
 * 2. Sweep: every combination of the grid below re-clusters the cached channels
 *    (`clusterSnapshot`) and is scored (DER, no collar, overlap scored) per file.
 * 3. Leave one source out: for each source (AMI, broadcast, therapy, calls, other), the
 *    combination with the lowest mean of per-source pooled DER on the OTHER sources is chosen and
 *    scored on the held-out source. A parameter is worth changing only if the held-out scores
 *    improve.
 *
 * Report: `bench/results/diar-cv.md` and `.json`. Run: `node --import tsx bench/diar-cv.ts`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

import { decodeStream, probeAudio } from '../src-main/engine/audio/ffmpeg.ts';
import { FbankStream } from '../src-main/engine/audio/fbank.ts';
import { concatFloat32 } from '../src-main/engine/audio/samples.ts';
import { createEmbeddingBackend, type EmbeddingBackend } from '../src-main/engine/diarization/embedding.ts';
import {
  activeFrameCount,
  FB_HOP,
  FB_WIN,
  gatherRows,
  speakerFrames,
} from '../src-main/engine/diarization/speaker-frames.ts';
import { OnnxModel } from '../src-main/engine/inference/onnx.ts';
import { createMultiChannelVad } from '../src-main/engine/vad/multi.ts';
import { speechRegionsFromProbs } from '../src-main/engine/vad/regions.ts';
import { SEG_SPEAKERS, SEG_WINDOW } from '../src-main/engine/diarization/segmentation.ts';

import { parseRttm, type SpeakerSegment } from '../src-shared/formats/rttm.ts';
import { devDataRoot } from '../src-main/cli/eval-dev.ts';
import {
  clusterSnapshot,
  DEFAULT_CHANNEL_DIARIZER,
  type DiarizerSnapshot,
  type StoredWindow,
} from '../src-main/engine/diarization/channel-diarizer.ts';
import type { EmbeddingNormalization } from '../src-main/engine/diarization/clustering.ts';
import type { PldaModel } from '../src-main/engine/diarization/plda.ts';
import { DEFAULT_RECONSTRUCT } from '../src-main/engine/diarization/reconstruct.ts';
import { fillVadHoles } from '../src-main/engine/diarization/vad-holes.ts';
import { shippedPlda } from '../src-main/engine/diarization/vbx-clustering.ts';
import { diarizationErrorRate } from '../src-main/engine/eval/der.ts';
import {
  analyzeFile,
  DEFAULT_PARAMS,
  diarizerSnapshotsOf,
  loadEngineModels,
} from '../src-main/engine/pipeline/analyze-file.ts';

const OUT = join(import.meta.dirname, 'results');
const CACHE = join(OUT, 'tmp', 'diar-cache');
const AUDIO = /\.(wav|m4a)$/i;

/** Source of a dev file, for leave-one-source-out. */
export function sourceOf(name: string, subset: string): string {
  if (subset === 'sim-train') return 'sim';
  if (subset === 'sim-dev') return 'sim-dev';
  if (subset === 'sim-dev-meetings') return 'sim-dev-meet';
  if (subset === 'stereo') return name.startsWith('verbatim') ? 'therapy' : 'calls';
  if (name.startsWith('ami_')) return 'AMI';
  if (name.startsWith('saivt')) return 'broadcast';
  if (name.startsWith('verbatim')) return 'therapy';
  return 'other';
}

interface CachedChannel {
  role: string;
  total: number;
  /** VAD speech regions of the channel, s (encoder caches only; see {@link reembed}) */
  vad?: { start: number; end: number }[];
  windows: { s: number; a: string; i: number[] }[];
  items: { w: number; l: number; v: number[]; t: boolean }[];
}
interface Cached {
  name: string;
  subset: string;
  source: string;
  micTurns: SpeakerSegment[];
  channels: CachedChannel[];
  pipelineDer: number;
}

const SIM = join(OUT, 'tmp', 'sim');
/** Simulated calls used per pool (env `DIAR_CV_SIM_MAX`, default 12; sim-dev: `DIAR_CV_SIMDEV_MAX`). */
const SIM_MAX = Number(process.env.DIAR_CV_SIM_MAX ?? 12);
const SIMDEV_MAX = Number(process.env.DIAR_CV_SIMDEV_MAX ?? SIM_MAX);
/** Simulated meetings used (env `DIAR_CV_MEET_MAX`, default 8). */
const MEET_MAX = Number(process.env.DIAR_CV_MEET_MAX ?? 8);

/** Folder of a subset: the dev folders, or the simulated calls of `bench/simulate/calls.ts`. */
const dirOf = (subset: string): string =>
  subset.startsWith('sim-') ? join(SIM, subset) : join(devDataRoot(), subset);

const refOf = (subset: string, name: string): SpeakerSegment[] => {
  const rttm = join(dirOf(subset), name.replace(AUDIO, '.rttm'));
  return [...parseRttm(readFileSync(rttm, 'utf8')).values()][0];
};

/** Remote speakers per call: 1 for the dev calls with one remote party, from calls.json for sims. */
function remotesOf(subset: string, name: string): number | null {
  if (subset === 'stereo') return /^(aws|verbatim)/.test(name) ? 1 : 3;
  if (!subset.startsWith('sim-') || subset.endsWith('meetings')) return null;
  const meta = JSON.parse(readFileSync(join(dirOf(subset), 'calls.json'), 'utf8')) as Record<
    string,
    { remotes: number }
  >;
  return meta[name.replace(AUDIO, '')]?.remotes ?? null;
}

async function buildCache(): Promise<Cached[]> {
  mkdirSync(CACHE, { recursive: true });
  const files: [string, string][] = [];
  for (const subset of ['diarization', 'stereo', 'sim-train', 'sim-dev', 'sim-dev-meetings']) {
    if (!existsSync(dirOf(subset))) continue;
    const names = readdirSync(dirOf(subset))
      .filter((f) => AUDIO.test(f))
      .sort();
    const max =
      subset === 'sim-dev'
        ? SIMDEV_MAX
        : subset === 'sim-dev-meetings'
          ? MEET_MAX
          : subset === 'sim-train'
            ? SIM_MAX
            : Infinity;
    for (const n of names.slice(0, max)) files.push([subset, n]);
  }
  let models: Awaited<ReturnType<typeof loadEngineModels>> | null = null;
  const out: Cached[] = [];
  for (const [subset, name] of files) {
    const path = join(CACHE, `${subset}__${name}.json`);
    if (existsSync(path)) {
      out.push(JSON.parse(readFileSync(path, 'utf8')) as Cached);
      continue;
    }
    models ??= await loadEngineModels({ ageGender: null, embedding: process.env.DIAR_CV_EMBEDDING });
    const r = await analyzeFile(join(dirOf(subset), name), models, {}, undefined, DEFAULT_PARAMS);
    const hyp = r.turns.map((t) => ({ start: t.startS, end: t.endS, speaker: t.speakerId }));
    const c: Cached = {
      name,
      subset,
      source: sourceOf(name, subset),
      micTurns: r.turns
        .filter((t) => t.channel === 'mic')
        .map((t) => ({ start: t.startS, end: t.endS, speaker: 'you' })),
      channels: diarizerSnapshotsOf(r).map(({ role, snapshot }) => ({
        role,
        total: snapshot.total,
        windows: snapshot.windows.map((w) => ({
          s: w.startSample,
          a: Buffer.from(w.activity).toString('base64'),
          i: Array.from(w.items),
        })),
        items: snapshot.items.map((it) => ({
          w: it.window,
          l: it.local,
          v: Array.from(it.vector),
          t: it.train !== false,
        })),
      })),
      pipelineDer: diarizationErrorRate(refOf(subset, name), hyp).der,
    };
    writeFileSync(path, JSON.stringify(c));
    console.log(`cached ${name} (pipeline DER ${(100 * c.pipelineDer).toFixed(1)} %)`);
    out.push(c);
  }
  return out;
}

/**
 * The cached channels re-embedded with another encoder: same segmentation windows (activity),
 * embeddings recomputed from the decoded channel exactly as ChannelDiarizer.embedWindow does
 * (the encoder's minFrames decides which local speakers get one). Cached per encoder in
 * `diar-cache/<encoder>/`.
 */
async function reembed(c: Cached, embedder: EmbeddingBackend, vadModel: OnnxModel): Promise<Cached> {
  const dir = join(CACHE, embedder.id);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${c.subset}__${c.name}.json`);
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as Cached;
  const file = join(dirOf(c.subset), c.name);
  const probe = await probeAudio(file);
  const channels: CachedChannel[] = [];
  for (const ch of c.channels) {
    const mono = ch.role === 'mono';
    const parts: Float32Array[] = [];
    // two-channel calls: channel 0 = mic, 1 = system (analyze-file.ts channelRoles, auto)
    for await (const b of decodeStream(file, probe, { channels: mono ? 'mono' : 'keep' }))
      parts.push(mono ? b[0] : b[ch.role === 'system' ? 1 : 0]);
    const audio = concatFloat32(parts).subarray(0, ch.total);
    const fb = new FbankStream().push(audio.slice());
    // the pipeline's VAD regions of this channel (silero, 1-s blocks as analyze-file.ts feeds it)
    const vad = createMultiChannelVad('silero', vadModel, 1);
    const probs: number[] = [];
    for (let o = 0; o < audio.length; o += 16_000)
      for (const p of (await vad.pushAll([audio.slice(o, o + 16_000)]))[0]) probs.push(p);
    for (const p of (await vad.flushAll())[0]) probs.push(p);
    const regions = speechRegionsFromProbs(probs, vad.hopS, audio.length / 16_000);
    const items: CachedChannel['items'] = [];
    const windows = [];
    for (const [wi, w] of ch.windows.entries()) {
      const activity = new Uint8Array(Buffer.from(w.a, 'base64'));
      const idx: number[] = [-1, -1, -1];
      const f0 = Math.ceil(w.s / FB_HOP);
      const f1 = Math.floor((Math.min(w.s + SEG_WINDOW, ch.total) - FB_WIN) / FB_HOP);
      for (let s = 0; s < SEG_SPEAKERS; s++) {
        const active = activeFrameCount(activity, s);
        if (active === 0) continue;
        const use = speakerFrames(activity, s, w.s, f0, f1, embedder.minFrames);
        if (!use) continue;
        const v = await embedder.embed(gatherRows(fb, 0, use));
        if (!v.every(Number.isFinite)) continue;
        idx[s] = items.length;
        items.push({
          w: wi,
          l: s,
          v: Array.from(v, (x) => Number(x.toPrecision(6))),
          t: active >= DEFAULT_CHANNEL_DIARIZER.minActiveFrames,
        });
      }
      windows.push({ s: w.s, a: w.a, i: idx });
    }
    channels.push({ role: ch.role, total: ch.total, vad: regions, windows, items });
  }
  const out: Cached = { ...c, channels };
  writeFileSync(path, JSON.stringify(out));
  console.log(`re-embedded ${c.subset}/${c.name} with ${embedder.id}`);
  return out;
}

const toSnapshot = (c: CachedChannel): DiarizerSnapshot => ({
  total: c.total,
  windows: c.windows.map((w): StoredWindow => ({
    startSample: w.s,
    activity: new Uint8Array(Buffer.from(w.a, 'base64')),
    items: Int32Array.from(w.i),
  })),
  items: c.items.map((it) => ({ window: it.w, local: it.l, vector: Float32Array.from(it.v), train: it.t })),
});

/** One point of the grid. */
interface Params {
  threshold: number;
  minClusterSize: number;
  normalization: EmbeddingNormalization;
  /** one-speaker merge distance for the system channel of a two-channel call; null = off */
  callThreshold: number | null;
  /** embeddings: the cached `fbank-stats` ones, or the re-embedded encoder's (DIAR_CV_ENCODER) */
  emb: 'fbank' | 'enc';
  /** VAD speech no turn covers goes to the nearest turn's speaker within this many s (null = unassigned) */
  holes: number | null;
  /** VBx instead of AHC alone (encoder embeddings only) */
  vbx: { initThreshold: number; Fa: number; Fb: number; loopP: number } | null;
}

interface Score {
  missed: number;
  falseAlarm: number;
  confusion: number;
  total: number;
  /** system channel of a call split into more than one speaker */
  split: number;
}

function hypothesis(
  c: Cached,
  snaps: DiarizerSnapshot[],
  p: Params,
  plda: PldaModel | null,
  vad: ({ start: number; end: number }[] | undefined)[],
): { hyp: SpeakerSegment[]; split: boolean } {
  const hyp: SpeakerSegment[] = [...c.micTurns];
  let offset = 0;
  let split = false;
  const isCall = c.channels.some((ch) => ch.role === 'system');
  c.channels.forEach((ch, k) => {
    const call = ch.role === 'system' && isCall && p.callThreshold !== null;
    const res = clusterSnapshot(
      snaps[k],
      p.normalization,
      { threshold: p.threshold, minClusterSize: p.minClusterSize, maxAhcItems: 2500 },
      DEFAULT_RECONSTRUCT,
      null,
      call ? p.callThreshold : null,
      p.vbx && plda ? { ...p.vbx, plda } : null,
    );
    if (ch.role === 'system' && res.numClusters > 1) split = true;
    const turns =
      p.holes !== null && vad[k] ? fillVadHoles(res.turns, vad[k], { maxGapS: p.holes }) : res.turns;
    for (const t of turns) hyp.push({ start: t.start, end: t.end, speaker: `c${offset + t.cluster}` });
    offset += res.numClusters;
  });
  return { hyp, split };
}

/** Encoder re-embedded for the `enc` rows of the grid (env `DIAR_CV_ENCODER`; `none` = skip). */
const ENCODER = process.env.DIAR_CV_ENCODER ?? 'callscope_spk_encoder_v1';

function main(): Promise<void> {
  return buildCache().then(async (cache) => {
    // DIAR_CV_CACHE_ONLY=1: only analyse the files not cached yet
    if (process.env.DIAR_CV_CACHE_ONLY) return;
    const snaps = cache.map((c) => c.channels.map(toSnapshot));
    let encSnaps: DiarizerSnapshot[][] | null = null;
    let vads: ({ start: number; end: number }[] | undefined)[][] = cache.map(() => []);
    let plda: PldaModel | null = null;
    if (ENCODER !== 'none') {
      const embedder = await createEmbeddingBackend(ENCODER);
      const vadModel = await OnnxModel.load('silero-vad-v6', { intraOpThreads: 1, role: 'vad' });
      const enc: Cached[] = [];
      // DIAR_CV_REVERSE=1: fill the cache from the end (a second worker beside a forward one)
      if (process.env.DIAR_CV_REVERSE)
        for (const c of [...cache].reverse()) await reembed(c, embedder, vadModel);
      for (const c of cache) enc.push(await reembed(c, embedder, vadModel));
      // DIAR_CV_EMBED_ONLY=1: fill the encoder cache and stop
      if (process.env.DIAR_CV_EMBED_ONLY) return;
      encSnaps = enc.map((c) => c.channels.map(toSnapshot));
      vads = enc.map((c) => c.channels.map((ch) => ch.vad));
      plda = shippedPlda(ENCODER);
    }
    const refs = cache.map((c) => refOf(c.subset, c.name));
    const base = { normalization: 'none' as const, vbx: null, holes: null };
    const grid: Params[] = [];
    // fbank-stats + AHC (the current default) around its tuned point
    for (const threshold of [0.06, 0.08, 0.1, 0.125])
      for (const minClusterSize of [1, 3])
        for (const callThreshold of [null, 0.15])
          grid.push({ ...base, threshold, minClusterSize, callThreshold, emb: 'fbank' });
    if (encSnaps) {
      for (const threshold of [0.6, 0.7, 0.8, 0.9])
        for (const minClusterSize of [1, 3])
          for (const callThreshold of [null, 0.3, 0.5])
            grid.push({ ...base, threshold, minClusterSize, callThreshold, emb: 'enc' });
      if (plda)
        for (const initThreshold of (process.env.DIAR_CV_VBX_INIT ?? '0.5,0.7').split(',').map(Number))
          for (const Fa of [0.1, 0.3])
            for (const Fb of [4, 17])
              for (const loopP of [0, 0.5])
                for (const callThreshold of [null, 0.3, 0.5])
                  grid.push({
                    ...base,
                    threshold: initThreshold,
                    minClusterSize: 1,
                    callThreshold,
                    emb: 'enc',
                    vbx: { initThreshold, Fa, Fb, loopP },
                  });
    }
    // VAD holes (env DIAR_CV_HOLES: max gaps in s, `none` = unassigned), crossed with the grid
    const holes = (process.env.DIAR_CV_HOLES ?? 'none,inf')
      .split(',')
      .map((h) => (h === 'none' ? null : h === 'inf' ? Infinity : Number(h)));
    grid.splice(0, grid.length, ...grid.flatMap((p) => holes.map((h) => ({ ...p, holes: h }))));
    // DIAR_CV_GRID=call: only the call rule varies (clustering as now)
    if (process.env.DIAR_CV_GRID === 'call')
      grid.splice(
        0,
        grid.length,
        ...grid.filter(
          (p) => p.emb === 'fbank' && p.threshold === 0.08 && p.minClusterSize === 3 && p.holes === null,
        ),
      );
    // the pipeline's defaults (analyze-file.ts DEFAULT_PARAMS)
    const current: Params = {
      ...base,
      threshold: 0.08,
      minClusterSize: 3,
      callThreshold: 0.15,
      emb: 'fbank',
    };
    const scoreOf = (p: Params): Score[] =>
      cache.map((c, i) => {
        const { hyp, split } = hypothesis(c, p.emb === 'enc' ? encSnaps![i] : snaps[i], p, plda, vads[i]);
        const d = diarizationErrorRate(refs[i], hyp);
        return {
          missed: d.missed,
          falseAlarm: d.falseAlarm,
          confusion: d.confusion,
          total: d.total,
          split: +split,
        };
      });
    // sim-dev is never used to choose anything: reported only
    const allSources = [...new Set(cache.map((c) => c.source))];
    const sources = allSources.filter((x) => !x.startsWith('sim-dev'));
    const oneRemote = cache.map((c) => remotesOf(c.subset, c.name) === 1);
    const splitRate = (s: Score[], src: string): string => {
      const idx = cache.flatMap((c, i) => (c.source === src && oneRemote[i] ? [i] : []));
      return idx.length ? `${idx.filter((i) => s[i].split).length}/${idx.length}` : '—';
    };
    const pooled = (s: Score[], filter: (i: number) => boolean): Score => {
      const r = { missed: 0, falseAlarm: 0, confusion: 0, total: 0, split: 0 };
      s.forEach((x, i) => {
        if (!filter(i)) return;
        r.missed += x.missed;
        r.falseAlarm += x.falseAlarm;
        r.confusion += x.confusion;
        r.total += x.total;
        r.split += x.split;
      });
      return r;
    };
    const der = (x: Score): number => (x.missed + x.falseAlarm + x.confusion) / x.total;
    const perSource = (s: Score[]): Map<string, Score> =>
      new Map(allSources.map((src) => [src, pooled(s, (i) => cache[i].source === src)]));
    console.log(`${grid.length} parameter sets × ${cache.length} files`);
    const scored = grid.map((p) => ({ p, s: scoreOf(p) }));
    const baseline = scoreOf(current);
    const fmt = (x: number): string => `${(100 * x).toFixed(1)} %`;
    const key = (p: Params): string =>
      (p.vbx
        ? `${ENCODER} VBx init ${p.vbx.initThreshold}, Fa ${p.vbx.Fa}, Fb ${p.vbx.Fb}, loopP ${p.vbx.loopP}`
        : `${p.emb === 'enc' ? ENCODER : 'fbank-stats'} AHC thr ${p.threshold}, minSize ${p.minClusterSize}`) +
      `, call ${p.callThreshold ?? '='}, holes ${p.holes ?? 'unassigned'}`;
    const table = (s: Score[]): string =>
      allSources
        .map((src) => {
          const x = perSource(s).get(src)!;
          return `| ${src} | ${fmt(der(x))} | ${fmt(x.missed / x.total)} | ${fmt(x.falseAlarm / x.total)} | ${fmt(x.confusion / x.total)} | ${splitRate(s, src)} |`;
        })
        .join('\n') +
      `\n| **dev total (pooled)** | ${fmt(der(pooled(s, (i) => !cache[i].subset.startsWith('sim-'))))} | | | | |`;
    const hdr =
      '| source | DER | miss | FA | conf | one-remote calls split |\n| --- | ---: | ---: | ---: | ---: | ---: |\n';
    const argmin = (
      pool: { p: Params; s: Score[] }[],
      objective: (s: Score[]) => number,
    ): { best: { p: Params; s: Score[] }; o: number } => {
      let best = pool[0];
      let o = Infinity;
      for (const sc of pool) {
        const v = objective(sc.s);
        if (v < o - 1e-9) {
          o = v;
          best = sc;
        }
      }
      return { best, o };
    };
    /** Leave-one-source-out CV restricted to one family of the grid. */
    const cv = (family: string, pool: { p: Params; s: Score[] }[]) => {
      const rows: string[] = [];
      const folds: { heldOut: string; params: Params; heldOutDer: number; baselineDer: number }[] = [];
      for (const held of sources) {
        const others = sources.filter((x) => x !== held);
        const { best, o } = argmin(pool, (s) => {
          const ps = perSource(s);
          return others.reduce((acc, x) => acc + der(ps.get(x)!), 0) / others.length;
        });
        const h = perSource(best.s).get(held)!;
        const b = perSource(baseline).get(held)!;
        folds.push({ heldOut: held, params: best.p, heldOutDer: der(h), baselineDer: der(b) });
        rows.push(
          `| ${held} | ${key(best.p)} | ${fmt(o)} | ${fmt(der(b))} | ${fmt(der(h))} (miss ${fmt(h.missed / h.total)}, FA ${fmt(h.falseAlarm / h.total)}, conf ${fmt(h.confusion / h.total)}) |`,
        );
      }
      // the parameters chosen on all sources (what the pipeline should use if the folds agree)
      const { best: all } = argmin(pool, (s) => {
        const ps = perSource(s);
        return sources.reduce((acc, x) => acc + der(ps.get(x)!), 0) / sources.length;
      });
      const meanHeld = folds.reduce((acc, f) => acc + f.heldOutDer, 0) / folds.length;
      const md =
        `## ${family}: ${pool.length} parameter sets, mean held-out DER ${fmt(meanHeld)}\n\n` +
        `| held-out source | chosen on the others | their objective | held-out DER, current | held-out DER, chosen |\n| --- | --- | ---: | ---: | ---: |\n` +
        rows.join('\n') +
        `\n\nChosen on all sources: ${key(all.p)}\n\n${hdr}${table(all.s)}\n\n`;
      return { family, folds, meanHeld, all, md };
    };
    const families: [string, (p: Params) => boolean][] = [
      ['fbank-stats + AHC', (p) => p.emb === 'fbank' && p.holes === null],
      [`${ENCODER} + AHC`, (p) => p.emb === 'enc' && !p.vbx && p.holes === null],
      [`${ENCODER} + VBx`, (p) => p.vbx !== null && p.holes === null],
      ['all methods, VAD holes unassigned', (p) => p.holes === null],
      ['all methods, VAD holes to the nearest speaker or unassigned (CV)', () => true],
    ];
    const results = families
      .map(([name, f]) => [name, scored.filter((x) => f(x.p))] as const)
      .filter(([, pool]) => pool.length)
      .map(([name, pool]) => cv(name, pool));
    const all = results[results.length - 1].all;
    const md =
      `# Leave-one-source-out CV of the clustering (${new Date().toISOString()})\n\n` +
      `${cache.length} files (${allSources.map((s) => `${s} ${cache.filter((c) => c.source === s).length}`).join(', ')}), ` +
      `${grid.length} parameter sets; DER no collar, overlap scored; objective = mean of per-source pooled DER over the CV sources (sim-dev calls and meetings are reported only, never used to choose). ` +
      `Current = the pipeline's defaults (${key(current)}). Machine: ${cpus().length} cores, load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' / ')} at the end (shared).\n\n` +
      `| method family | mean held-out DER (current ${fmt(results[0].folds.reduce((acc, f) => acc + f.baselineDer, 0) / results[0].folds.length)}) | ${sources.join(' | ')} |\n| --- | ---: | ${sources.map(() => '---:').join(' | ')} |\n` +
      results
        .map(
          (r) =>
            `| ${r.family} | ${fmt(r.meanHeld)} | ${r.folds.map((f) => fmt(f.heldOutDer)).join(' | ')} |`,
        )
        .join('\n') +
      `\n\n## Current parameters\n\n${hdr}${table(baseline)}\n\n` +
      results.map((r) => r.md).join('') +
      `## Per file (current → chosen on all, all methods)\n\n| file | source | pipeline | current | chosen |\n| --- | --- | ---: | ---: | ---: |\n` +
      cache
        .map(
          (c, i) =>
            `| ${c.name} | ${c.source} | ${fmt(c.pipelineDer)} | ${fmt(der(baseline[i]))} | ${fmt(der(all.s[i]))} |`,
        )
        .join('\n') +
      '\n';
    const suffix = process.env.DIAR_CV_GRID ? `-${process.env.DIAR_CV_GRID}` : '';
    writeFileSync(join(OUT, `diar-cv${suffix}.md`), md);
    writeFileSync(
      join(OUT, `diar-cv${suffix}.json`),
      JSON.stringify(
        {
          machine: {
            cores: cpus().length,
            loadAverage: loadavg(),
            note: 'shared machine, other jobs running',
          },
          files: cache.length,
          current,
          families: results.map((r) => ({
            family: r.family,
            meanHeldOutDer: r.meanHeld,
            folds: r.folds,
            chosenOnAll: r.all.p,
            perSourceChosenOnAll: Object.fromEntries(
              [...perSource(r.all.s)].map(([src, x]) => [
                src,
                { der: der(x), split: splitRate(r.all.s, src) },
              ]),
            ),
          })),
          perSourceCurrent: Object.fromEntries(
            [...perSource(baseline)].map(([src, x]) => [
              src,
              { der: der(x), split: splitRate(baseline, src) },
            ]),
          ),
        },
        null,
        2,
      ),
    );
    console.log(md);
  });
}

await main();
