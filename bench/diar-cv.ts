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
 * Report: `bench/results/diar-cv.md` and `.json` (folds, per-source and per-file DER of the current
 * and the chosen parameters, and the run record: machine, load average, date, commit; read by
 * `bench/report.ts`). Run: `node --import tsx bench/diar-cv.ts` (the committed results:
 * `DIAR_CV_SIM_MAX=8`).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseRttm, type SpeakerSegment } from '../src-shared/formats/rttm.ts';
import { startRunRecord } from '../src-main/cli/run-record.ts';
import { devDataRoot } from '../src-main/cli/eval-dev.ts';
import {
  clusterSnapshot,
  type DiarizerSnapshot,
  type StoredWindow,
} from '../src-main/engine/diarization/channel-diarizer.ts';
import type { EmbeddingNormalization } from '../src-main/engine/diarization/clustering.ts';
import { DEFAULT_RECONSTRUCT } from '../src-main/engine/diarization/reconstruct.ts';
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
  if (subset === 'stereo') return name.startsWith('verbatim') ? 'therapy' : 'calls';
  if (name.startsWith('ami_')) return 'AMI';
  if (name.startsWith('saivt')) return 'broadcast';
  if (name.startsWith('verbatim')) return 'therapy';
  return 'other';
}

interface CachedChannel {
  role: string;
  total: number;
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
/** Simulated calls used per pool (env `DIAR_CV_SIM_MAX`, default 12). */
const SIM_MAX = Number(process.env.DIAR_CV_SIM_MAX ?? 12);

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
  if (!subset.startsWith('sim-')) return null;
  const meta = JSON.parse(readFileSync(join(dirOf(subset), 'calls.json'), 'utf8')) as Record<
    string,
    { remotes: number }
  >;
  return meta[name.replace(AUDIO, '')]?.remotes ?? null;
}

async function buildCache(): Promise<Cached[]> {
  mkdirSync(CACHE, { recursive: true });
  const files: [string, string][] = [];
  for (const subset of ['diarization', 'stereo', 'sim-train', 'sim-dev']) {
    if (!existsSync(dirOf(subset))) continue;
    const names = readdirSync(dirOf(subset))
      .filter((f) => AUDIO.test(f))
      .sort();
    for (const n of subset.startsWith('sim-') ? names.slice(0, SIM_MAX) : names) files.push([subset, n]);
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
    );
    if (ch.role === 'system' && res.numClusters > 1) split = true;
    for (const t of res.turns) hyp.push({ start: t.start, end: t.end, speaker: `c${offset + t.cluster}` });
    offset += res.numClusters;
  });
  return { hyp, split };
}

function main(): Promise<void> {
  const run = startRunRecord(import.meta.dirname);
  return buildCache().then((cache) => {
    const snaps = cache.map((c) => c.channels.map(toSnapshot));
    const refs = cache.map((c) => refOf(c.subset, c.name));
    const grid: Params[] = [];
    for (const threshold of [0.04, 0.06, 0.08, 0.1, 0.125, 0.15, 0.2, 0.3])
      for (const minClusterSize of [1, 3, 6])
        for (const normalization of ['none'] as const)
          for (const callThreshold of [null, 0.15, 0.25, 0.4, 0.6])
            grid.push({ threshold, minClusterSize, normalization, callThreshold });
    // DIAR_CV_GRID=call: only the call rule varies (clustering as now)
    if (process.env.DIAR_CV_GRID === 'call')
      grid.splice(0, grid.length, ...grid.filter((p) => p.threshold === 0.08 && p.minClusterSize === 3));
    const current: Params = {
      threshold: 0.08,
      minClusterSize: 3,
      normalization: 'none',
      callThreshold: null,
    };
    const scoreOf = (p: Params): Score[] =>
      cache.map((c, i) => {
        const { hyp, split } = hypothesis(c, snaps[i], p);
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
    const sources = allSources.filter((x) => x !== 'sim-dev');
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
      `thr ${p.threshold}, minSize ${p.minClusterSize}, ${p.normalization}, call ${p.callThreshold ?? '='}`;
    const rows: string[] = [];
    const folds: { heldOut: string; params: Params; heldOutDer: number; baselineDer: number }[] = [];
    for (const held of sources) {
      const objective = (s: Score[]): number => {
        const ps = perSource(s);
        const others = sources.filter((x) => x !== held);
        return others.reduce((a, x) => a + der(ps.get(x)!), 0) / others.length;
      };
      let best = scored[0];
      let bestO = Infinity;
      for (const sc of scored) {
        const o = objective(sc.s);
        if (o < bestO - 1e-9) {
          bestO = o;
          best = sc;
        }
      }
      const h = perSource(best.s).get(held)!;
      const b = perSource(baseline).get(held)!;
      folds.push({ heldOut: held, params: best.p, heldOutDer: der(h), baselineDer: der(b) });
      rows.push(
        `| ${held} | ${key(best.p)} | ${fmt(bestO)} | ${fmt(der(b))} (miss ${fmt(b.missed / b.total)}, FA ${fmt(b.falseAlarm / b.total)}, conf ${fmt(b.confusion / b.total)}) | ${fmt(der(h))} (miss ${fmt(h.missed / h.total)}, FA ${fmt(h.falseAlarm / h.total)}, conf ${fmt(h.confusion / h.total)}) |`,
      );
    }
    // the parameters chosen on all sources (what the pipeline should use if the folds agree)
    let all = scored[0];
    let allO = Infinity;
    for (const sc of scored) {
      const ps = perSource(sc.s);
      const o = sources.reduce((a, x) => a + der(ps.get(x)!), 0) / sources.length;
      if (o < allO - 1e-9) {
        allO = o;
        all = sc;
      }
    }
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
    const md =
      `# Leave-one-source-out CV of the clustering (${new Date().toISOString()})\n\n` +
      `${cache.length} files (${allSources.map((s) => `${s} ${cache.filter((c) => c.source === s).length}`).join(', ')}), ` +
      `${grid.length} parameter sets; DER no collar, overlap scored; objective = mean of per-source pooled DER over the CV sources (sim-dev is reported only, never used to choose).\n\n` +
      `| held-out source | chosen on the others | their objective | held-out DER, current (thr 0.08, minSize 3, none) | held-out DER, chosen |\n| --- | --- | ---: | ---: | ---: |\n` +
      rows.join('\n') +
      `\n\nMean held-out DER: current ${fmt(folds.reduce((a, f) => a + f.baselineDer, 0) / folds.length)}, chosen ${fmt(folds.reduce((a, f) => a + f.heldOutDer, 0) / folds.length)}.\n\n` +
      `## Current parameters\n\n${hdr}${table(baseline)}\n\n` +
      `## Chosen on all sources: ${key(all.p)}\n\n${hdr}${table(all.s)}\n\n` +
      `## Per file (current → chosen on all)\n\n| file | source | pipeline | current | chosen |\n| --- | --- | ---: | ---: | ---: |\n` +
      cache
        .map(
          (c, i) =>
            `| ${c.name} | ${c.source} | ${fmt(c.pipelineDer)} | ${fmt(der(baseline[i]))} | ${fmt(der(all.s[i]))} |`,
        )
        .join('\n') +
      '\n';
    const suffix = process.env.DIAR_CV_GRID ? `-${process.env.DIAR_CV_GRID}` : '';
    writeFileSync(join(OUT, `diar-cv${suffix}.md`), md);
    // per-source pooled rates (fractions of scored reference speech) for bench/report.ts
    const sourceRows = (s: Score[]) =>
      allSources.map((source) => {
        const x = perSource(s).get(source)!;
        return {
          source,
          files: cache.filter((c) => c.source === source).length,
          der: der(x),
          missed: x.missed / x.total,
          falseAlarm: x.falseAlarm / x.total,
          confusion: x.confusion / x.total,
          oneRemoteSplit: splitRate(s, source),
        };
      });
    const json = {
      run: run.finish(),
      files: cache.length,
      gridSize: grid.length,
      folds,
      chosenOnAll: all.p,
      current: {
        params: current,
        perSource: sourceRows(baseline),
        devPooledDer: der(pooled(baseline, (i) => !cache[i].subset.startsWith('sim-'))),
      },
      chosen: { params: all.p, perSource: sourceRows(all.s) },
      perFile: cache.map((c, i) => ({
        file: c.name,
        source: c.source,
        pipelineDer: c.pipelineDer,
        currentDer: der(baseline[i]),
        chosenDer: der(all.s[i]),
      })),
    };
    writeFileSync(join(OUT, `diar-cv${suffix}.json`), JSON.stringify(json, null, 2) + '\n');
    console.log(md);
  });
}

await main();
