/**
 * Embeddings of the dev voiceprint evaluation, computed once per encoder set and cached in
 * bench/results/tmp/voiceprint-embeddings.json (keyed by encoder id+version, condition and file):
 *  - one pooled enrollment embedding per dev voiceprint speaker (its `enroll` files, clean);
 *  - every single-speaker clip of dev/voiceprint (enroll and test files) and dev/agegender, clean;
 *  - the voiceprint `test` files through each telephone path (bench/telephone.ts), the agegender
 *    clips through {@link STRANGER_CONDITIONS}.
 * Agegender speakers are never enrolled: they are the strangers (non-enrolled speakers).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

import type { EngineModels } from '../src-main/engine/index.ts';
import { readProtocol } from '../src-main/engine/voiceprints/protocol.ts';
import { embedSpeechWith } from '../src-main/engine/voiceprints/speech-embedding.ts';
import type { EmbeddingBackend } from '../src-main/engine/diarization/embedding.ts';
import { TELEPHONE_CONDITIONS, type TelephoneCondition, telephoneCopy } from './telephone.ts';

/**
 * Telephone paths the strangers (agegender clips, ~14 min) go through: G.711 µ-law only, to keep
 * the evaluation's CPU time within reach on a shared machine (the voiceprint test files go
 * through all of {@link TELEPHONE_CONDITIONS}).
 */
export const STRANGER_CONDITIONS: TelephoneCondition[] = ['g711u'];

export const DEV = join(import.meta.dirname, '..', '..', 'shared', 'data', 'dev');
const CACHE = join(import.meta.dirname, 'results', 'tmp', 'voiceprint-embeddings.json');

/** A clip of the evaluation. */
export interface Clip {
  /** Path relative to dev/. */
  rel: string;
  /** Speaker id (`librispeech_1688`, `saa_151`, …); null for clips without one. */
  speaker: string | null;
  /** `enroll` | `test` (voiceprint protocol) or `stranger` (agegender). */
  role: 'enroll' | 'test' | 'stranger';
}

/** Embeddings per encoder: key `<condition>:<rel>` (or `enroll:<speaker>`) → vector. */
export type EmbeddingTable = Record<string, Record<string, number[]>>;

/** The clips of the evaluation (see the module comment). */
export function evalClips(): { clips: Clip[]; enrollFiles: Map<string, string[]> } {
  const vp = readProtocol(join(DEV, 'voiceprint', 'speakers.csv'));
  const clips: Clip[] = [];
  const enrollFiles = new Map<string, string[]>();
  for (const r of vp) {
    if (r.role !== 'enroll' && r.role !== 'test') continue;
    clips.push({ rel: relative(DEV, r.file), speaker: r.speakerId, role: r.role });
    if (r.role === 'enroll') enrollFiles.set(r.speakerId, [...(enrollFiles.get(r.speakerId) ?? []), r.file]);
  }
  const [header, ...lines] = readFileSync(join(DEV, 'agegender', 'labels_ext.csv'), 'utf8')
    .trim()
    .split('\n');
  const cols = header.split(',');
  const fi = cols.indexOf('file');
  const si = cols.indexOf('speaker_id');
  for (const l of lines) {
    const c = l.split(',');
    clips.push({ rel: join('agegender', c[fi]), speaker: c[si] || null, role: 'stranger' });
  }
  return { clips, enrollFiles };
}

/**
 * Loads (or computes and caches) every embedding of the evaluation for the given encoders.
 * @param log progress lines.
 * @param cachedOnly return what the cache holds, computing nothing (a partial evaluation).
 */
export async function evalEmbeddings(
  models: Pick<EngineModels, 'vadModel'>,
  encoders: EmbeddingBackend[],
  log: (s: string) => void = () => {},
  cachedOnly = false,
): Promise<EmbeddingTable> {
  const cache: EmbeddingTable = existsSync(CACHE) ? JSON.parse(readFileSync(CACHE, 'utf8')) : {};
  if (cachedOnly) return cache;
  const keyOf = (e: EmbeddingBackend): string => `${e.use.id}@${e.use.version}`;
  for (const e of encoders) cache[keyOf(e)] ??= {};
  const save = (): void => {
    mkdirSync(dirname(CACHE), { recursive: true });
    writeFileSync(CACHE, JSON.stringify(cache));
  };
  const need = (k: string): EmbeddingBackend[] => encoders.filter((e) => !cache[keyOf(e)][k]);
  const put = async (k: string, files: string[]): Promise<void> => {
    const todo = need(k);
    if (!todo.length) return;
    const out = await embedSpeechWith(files, models.vadModel, todo, { minSpeechS: 0 }).catch((err: Error) => {
      log(`  skipped ${k}: ${err.message}`);
      return [];
    });
    out.forEach(
      (x, i) => (cache[keyOf(todo[i])][k] = Array.from(x.vector, (v) => Math.round(v * 1e5) / 1e5)),
    );
  };
  const { clips, enrollFiles } = evalClips();
  for (const [spk, files] of enrollFiles) await put(`enroll:${spk}`, files);
  save();
  // most informative first, so that a run stopped early (scored with cachedOnly) still covers the
  // open-set protocols: clean tests, clean strangers, tests through G.711 µ-law and Opus, the
  // enrollment clips (extended pairs), then the remaining telephone paths
  const jobs: [Clip, string][] = [];
  const role = (r: Clip['role']): Clip[] => clips.filter((x) => x.role === r);
  const first: string[] = ['g711u', 'opus8k'];
  for (const c of role('test')) jobs.push([c, 'clean']);
  for (const c of role('stranger')) jobs.push([c, 'clean']);
  for (const cond of first) for (const c of role('test')) jobs.push([c, cond]);
  for (const c of role('enroll')) jobs.push([c, 'clean']);
  for (const cond of TELEPHONE_CONDITIONS.filter((x) => !first.includes(x)))
    for (const c of role('test')) jobs.push([c, cond]);
  for (const cond of STRANGER_CONDITIONS) for (const c of role('stranger')) jobs.push([c, cond]);
  let n = 0;
  for (const [c, cond] of jobs) {
    const k = `${cond}:${c.rel}`;
    if (need(k).length) {
      const src = join(DEV, c.rel);
      await put(k, [cond === 'clean' ? src : await telephoneCopy(src, c.rel, cond as TelephoneCondition)]);
    }
    if (++n % 10 === 0) {
      save();
      log(`  ${n}/${jobs.length} embedded`);
    }
  }
  save();
  return cache;
}
