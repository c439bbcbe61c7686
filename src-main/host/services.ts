/**
 * The engine-side implementations of the app's service contracts (src-shared/contracts/services.ts
 * and history.ts), shared by the web host and the Electron engine process: a one-at-a-time
 * analysis queue with progress events and cancellation, the voiceprint library and call history
 * on the store, and app information for Settings. Knows nothing about the transport in front.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

import { STAGES, type AnalysisResult, type Stage } from '../../src-shared/contracts/analysis.ts';
import {
  type AudioClip,
  MAX_AUDIO_CLIP_S,
  type HistoryPage,
  HistoryQuery,
  HistoryService,
  StoredCall,
} from '../../src-shared/contracts/history.ts';
import {
  CONTRACTS,
  SERVICE,
  type AnalysisService,
  type AnalyzedCall,
  type AppInfo,
  type AppService,
  type FileRef,
  type JobInfo,
  type LibraryService,
  type LiveControlService,
  type ModelsService,
} from '../../src-shared/contracts/services.ts';
import { MIN_ENROLL_SPEECH_S, type Voiceprint } from '../../src-shared/contracts/voiceprints.ts';
import type { ExportFormat } from '../../src-shared/formats/exports.ts';
import { CancelledError, exposeService, type RpcServer } from '../../src-shared/ipc/rpc.ts';
import { ENGINE_SAMPLE_RATE, resolveFfmpeg } from '../engine/audio/ffmpeg.ts';
import {
  analyzeFile,
  type EngineModels,
  type SpeakerEmbeddingSet,
  speakerEmbeddingSetsOf,
} from '../engine/index.ts';
import { APP_ROOT, loadManifest, resolveModel } from '../engine/inference/registry.ts';
import { deleteCall, exportCall, getCall, listCalls } from '../store/calls.ts';
import type { Db } from '../store/db.ts';
import { exportLibrary, importLibrary } from '../store/exchange.ts';
import { operatingPointFor } from '../engine/voiceprints/identify.ts';
import { saveLabelledCall, voiceprintsWithStatus } from '../services/voiceprint-labels.ts';
import { enrollmentEmbedders } from '../engine/voiceprints/models.ts';
import { embedSpeechWith, NotEnoughSpeechError } from '../engine/voiceprints/speech-embedding.ts';
import {
  createVoiceprint,
  deleteVoiceprint,
  getVoiceprint,
  listVoiceprints,
  mergeVoiceprints,
  renameVoiceprint,
} from '../store/voiceprints.ts';
import { pathRefRefused } from '../app/file-grants.ts';
import { LiveControl } from './live.ts';
import { ModelManagerService } from './models.ts';

/** Share of a file analysis's run time per stage (measured on the dev set; drives one bar). */
const STAGE_WEIGHT: Record<Stage, number> = {
  decode: 0.05,
  quality: 0.02,
  vad: 0.13,
  segmentation: 0.45,
  embedding: 0.25,
  clustering: 0.04,
  attributes: 0.05,
  export: 0.01,
};

/** Overall progress in [0, 1] from the stage in progress and its completed/total. */
export function overallProgress(stage: Stage, completed: number, total: number): number {
  let done = 0;
  for (const s of STAGES) {
    if (s === stage) break;
    done += STAGE_WEIGHT[s];
  }
  const frac = total > 0 ? Math.min(1, Math.max(0, completed / total)) : 0;
  return Math.min(0.99, done + STAGE_WEIGHT[stage] * frac);
}

/** What the services need: loaded models, the open database, where uploads live. */
export interface EngineServiceDeps {
  models: EngineModels;
  db: Db;
  dbPath: string;
  /** Resolves an upload id to its file (web host); null for unknown ids. */
  uploadPath: (uploadId: string) => string | null;
  /**
   * Whether a `{kind: 'path'}` file reference may be opened: desktop app only, for files the user
   * picked or dropped in this session (src-main/app/file-grants.ts). Absent (web host): every path
   * reference is refused.
   */
  pathAllowed?: (path: string) => boolean;
  host: AppInfo['host'];
  /** Emits an event to every connected UI. */
  emit: (service: string, event: string, payload: unknown) => void;
}

interface Job {
  info: JobInfo;
  file: string;
  upload: boolean;
  keepAudio: boolean;
  ctrl: AbortController;
  options: Parameters<AnalysisService['enqueue']>[0]['options'];
  result: AnalyzedCall | null;
}

/** The analysis queue: one job at a time (the engine uses every core for one file). */
export class AnalysisQueue implements AnalysisService {
  private readonly jobsById = new Map<string, Job>();
  private running: Promise<void> | null = null;
  /** Speaker embeddings of calls analysed in this run, for "remember this voice". */
  readonly embeddingsByCall = new Map<number, SpeakerEmbeddingSet[]>();
  private lastEmit = new Map<string, number>();

  constructor(private readonly deps: EngineServiceDeps) {}

  async enqueue(req: Parameters<AnalysisService['enqueue']>[0]): Promise<JobInfo> {
    const file = resolveFileRef(req.file, this.deps);
    const info: JobInfo = {
      id: randomUUID(),
      name: fileRefName(req.file),
      status: 'queued',
      stage: null,
      progress: 0,
      callId: null,
      error: null,
      queuedAt: new Date().toISOString(),
    };
    const job: Job = {
      info,
      file,
      upload: req.file.kind === 'upload',
      keepAudio: req.keepAudio ?? false,
      ctrl: new AbortController(),
      options: req.options,
      result: null,
    };
    this.jobsById.set(info.id, job);
    this.update(job, {}, true);
    this.pump();
    return { ...info };
  }

  async cancel(jobId: string): Promise<void> {
    const job = this.jobsById.get(jobId);
    if (!job) throw Object.assign(new Error(`no job ${jobId}`), { code: 'not_found' });
    if (job.info.status === 'queued') this.update(job, { status: 'cancelled' }, true);
    job.ctrl.abort();
  }

  async jobs(): Promise<JobInfo[]> {
    return [...this.jobsById.values()].map((j) => ({ ...j.info }));
  }

  async result(jobId: string): Promise<AnalyzedCall> {
    const job = this.jobsById.get(jobId);
    if (!job?.result) throw Object.assign(new Error(`job ${jobId} has no result`), { code: 'not_found' });
    return job.result;
  }

  /** Resolves when the queue is idle (graceful shutdown waits for the running job's write). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Cancels everything queued or running. */
  cancelAll(): void {
    for (const j of this.jobsById.values())
      if (j.info.status === 'queued' || j.info.status === 'running') void this.cancel(j.info.id);
  }

  private pump(): void {
    if (this.running) return;
    const next = [...this.jobsById.values()].find((j) => j.info.status === 'queued');
    if (!next) return;
    this.running = this.run(next).finally(() => {
      this.running = null;
      this.pump();
    });
  }

  private async run(job: Job): Promise<void> {
    this.update(job, { status: 'running', stage: 'decode' }, true);
    try {
      const r: AnalysisResult = await analyzeFile(
        job.file,
        this.deps.models,
        job.options ?? {},
        (stage, completed, total) => {
          if (job.ctrl.signal.aborted) throw new CancelledError();
          this.update(job, { stage, progress: overallProgress(stage, completed, total) });
        },
      );
      if (job.ctrl.signal.aborted) throw new CancelledError();
      r.file = job.info.name;
      const embeddings = speakerEmbeddingSetsOf(r);
      const { callId, ids } = saveLabelledCall(
        this.deps.db,
        r,
        embeddings,
        job.upload ? `upload:${job.info.name}` : `file:${job.file}`,
      );
      this.embeddingsByCall.set(callId, embeddings);
      if (job.keepAudio) await keepCallAudio(this.deps.dbPath, callId, job.file, job.upload);
      const voiceprintIds: Record<string, number | null> = {};
      for (const [sid, id] of ids) voiceprintIds[sid] = id.status === 'known' ? id.best!.voiceprintId : null;
      job.result = { callId, result: r, voiceprintIds };
      this.update(job, { status: 'done', progress: 1, stage: null, callId }, true);
    } catch (err) {
      const cancelled = job.ctrl.signal.aborted || (err as Error).name === 'AbortError';
      this.update(
        job,
        {
          status: cancelled ? 'cancelled' : 'failed',
          stage: null,
          error: cancelled ? null : withFileName((err as Error).message, job.file, job.info.name),
        },
        true,
      );
    } finally {
      if (job.upload) await rm(job.file, { force: true });
    }
  }

  private update(job: Job, patch: Partial<JobInfo>, force = false): void {
    Object.assign(job.info, patch);
    const now = Date.now();
    if (!force && now - (this.lastEmit.get(job.info.id) ?? 0) < 100) return;
    this.lastEmit.set(job.info.id, now);
    this.deps.emit(SERVICE.analysis, 'job', { ...job.info });
  }
}

/** The name a user knows a file by: an upload's own name, or a path's last component. */
export function fileRefName(ref: FileRef): string {
  return ref.kind === 'upload' ? ref.name : ref.path.split(/[\\/]/).pop()!;
}

/**
 * An error message for the user: every occurrence of `path` (an upload's temporary file, which
 * means nothing to the user) replaced by the file's own `name`.
 */
export function withFileName(message: string, path: string, name: string): string {
  return path ? message.split(path).join(name) : message;
}

/**
 * Resolves a {@link FileRef} to a readable path. A path reference is checked against
 * `deps.pathAllowed` before any file-system access; without it (web host), or for a path not
 * granted, it is refused with one generic error ({@link pathRefRefused}, code `not_allowed`).
 * @throws Error with code `not_allowed`, or `not_found` for an unknown upload or a granted file
 *   that has gone.
 */
export function resolveFileRef(
  ref: FileRef,
  deps: Pick<EngineServiceDeps, 'uploadPath' | 'pathAllowed'>,
): string {
  if (ref.kind === 'path') {
    if (!deps.pathAllowed?.(ref.path)) throw pathRefRefused();
    const path = resolve(ref.path);
    if (!existsSync(path)) throw Object.assign(new Error(`${ref.path}: no such file`), { code: 'not_found' });
    return path;
  }
  const path = deps.uploadPath(ref.uploadId);
  if (!path || !existsSync(path))
    throw Object.assign(new Error(`upload ${ref.uploadId} not found`), { code: 'not_found' });
  return path;
}

/** Tells every UI that the voiceprint library changed (the Library view refetches). */
export function libraryChanged(deps: EngineServiceDeps): void {
  deps.emit(SERVICE.library, 'changed', { count: listVoiceprints(deps.db).length });
}

/**
 * "Remember this voice": keeps one speaker embedding of the encoder in use as a new voiceprint
 * with the consent given, and tells the UIs. Shared by enrollment from an analysed call and from
 * a live session.
 * @throws Error with code `not_enough_speech` below {@link MIN_ENROLL_SPEECH_S} seconds of the
 *   speaker's speech (the same rule as enrollment from files).
 */
export function rememberEmbedding(
  deps: EngineServiceDeps,
  who: { name: string; consent: string },
  e: {
    /** One embedding per encoder that ran (the voiceprint encoder's among them). */
    vectors: { modelId: string; modelVersion: string; vector: Float32Array }[];
    source: string;
    speechS: number;
    snrDb: number | null;
  },
): Voiceprint {
  if (e.speechS < MIN_ENROLL_SPEECH_S)
    throw Object.assign(
      new Error(
        `only ${e.speechS.toFixed(1)} s of clear speech from this speaker; at least ${MIN_ENROLL_SPEECH_S} s are needed to remember a voice reliably`,
      ),
      { code: 'not_enough_speech' },
    );
  const enc = deps.models.voiceprintEmbedder.use;
  if (!e.vectors.some((v) => v.modelId === enc.id && v.modelVersion === enc.version))
    throw Object.assign(
      new Error(
        `no ${enc.id} embedding of this speaker (too little clear speech for the voiceprint encoder)`,
      ),
      { code: 'not_enough_speech' },
    );
  const { vectors, ...rest } = e;
  const id = createVoiceprint(
    deps.db,
    { name: who.name, consentHow: who.consent },
    vectors.map((v) => ({ ...rest, ...v })),
  );
  libraryChanged(deps);
  return getVoiceprint(deps.db, id);
}

/** The voiceprint library on the store. */
export class Library implements LibraryService {
  constructor(
    private readonly deps: EngineServiceDeps,
    private readonly queue: AnalysisQueue,
  ) {}

  private changed(): void {
    libraryChanged(this.deps);
  }

  async list(): Promise<Voiceprint[]> {
    return voiceprintsWithStatus(this.deps.db, this.deps.models.voiceprintEmbedder.use);
  }
  async rename(id: number, name: string): Promise<Voiceprint> {
    const v = renameVoiceprint(this.deps.db, id, name);
    this.changed();
    return v;
  }
  async merge(keepId: number, goneId: number): Promise<Voiceprint> {
    const v = mergeVoiceprints(this.deps.db, keepId, goneId);
    this.changed();
    return v;
  }
  async delete(id: number): Promise<void> {
    deleteVoiceprint(this.deps.db, id);
    this.changed();
  }
  async enrollFromCall(req: {
    callId: number;
    speakerId: string;
    name: string;
    consent: string;
  }): Promise<Voiceprint> {
    const call = getCall(this.deps.db, req.callId);
    const speaker = call.result.speakers.find((s) => s.id === req.speakerId);
    const vectors = (this.queue.embeddingsByCall.get(req.callId) ?? []).flatMap((set) => {
      const vector = set.embeddings.get(req.speakerId);
      return vector ? [{ modelId: set.use.id, modelVersion: set.use.version, vector }] : [];
    });
    if (!speaker || !vectors.length) {
      throw Object.assign(
        new Error(
          `no voice embedding for speaker ${req.speakerId} of call ${req.callId}; analyse the recording again to enroll from it`,
        ),
        {
          code: 'not_found',
        },
      );
    }
    const snr = call.result.quality.find((q) => q.channel === speaker.channel)?.snrDb ?? null;
    return rememberEmbedding(this.deps, req, {
      vectors,
      source: `call:${req.callId}/${req.speakerId}`,
      speechS: speaker.speechS,
      snrDb: snr,
    });
  }
  async enrollFromFile(req: Parameters<LibraryService['enrollFromFile']>[0]): Promise<Voiceprint> {
    const path = resolveFileRef(req.file, this.deps);
    const name = fileRefName(req.file);
    const encoders = await enrollmentEmbedders(this.deps.models);
    const es = await embedSpeechWith([path], this.deps.models.vadModel, encoders).catch(
      async (err: unknown) => {
        if (req.file.kind === 'upload') await rm(path, { force: true });
        // the GUI's words: the file's own name, and no command-line options in the advice
        const msg =
          err instanceof NotEnoughSpeechError
            ? `${name}: only ${err.speechS.toFixed(1)} s of clear speech, at least ${err.requiredS} s are needed to remember a voice; choose a longer recording of this one speaker`
            : withFileName(err instanceof Error ? err.message : String(err), path, name);
        throw Object.assign(new Error(msg), { code: (err as { code?: string }).code ?? 'enroll_failed' });
      },
    );
    const label = req.file.kind === 'upload' ? `upload:${req.file.name}` : `file:${path}`;
    const id = createVoiceprint(
      this.deps.db,
      { name: req.name, notes: req.notes ?? '', consentHow: req.consent },
      es.map((e) => ({ ...e, source: label })),
    );
    if (req.file.kind === 'upload') await rm(path, { force: true });
    this.changed();
    return getVoiceprint(this.deps.db, id);
  }
  async exportLibrary(): Promise<string> {
    return JSON.stringify(exportLibrary(this.deps.db), null, 2) + '\n';
  }
  async importLibrary(text: string): Promise<number> {
    const enc = this.deps.models.embedder.use;
    const n = importLibrary(this.deps.db, text, { id: enc.id, version: enc.version });
    this.changed();
    return n;
  }
}

/** Folder of the kept call audio: `audio/` beside the database. */
export function callAudioDir(dbPath: string): string {
  return join(dirname(dbPath), 'audio');
}

/**
 * Keeps a call's recording for playback (the user opted in): an upload is moved, a local file
 * copied, to `audio/<callId><ext>` beside the database.
 */
async function keepCallAudio(dbPath: string, callId: number, file: string, upload: boolean): Promise<void> {
  const dir = callAudioDir(dbPath);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const ext = /\.[A-Za-z0-9]{1,5}$/.exec(basename(file))?.[0] ?? '';
  const dest = join(dir, `${callId}${ext}`);
  if (upload) await rename(file, dest).catch(() => copyFile(file, dest));
  else await copyFile(file, dest);
}

/** The kept audio file of a call, or null when none was kept. */
function keptAudioOf(dbPath: string, callId: number): string | null {
  const dir = callAudioDir(dbPath);
  if (!existsSync(dir)) return null;
  const name = readdirSync(dir).find((f) => f === String(callId) || f.startsWith(`${callId}.`));
  return name ? join(dir, name) : null;
}

/** Encodes 16-bit PCM mono samples as a WAV file (RIFF header + data). */
function wavBytes(pcm: Buffer, sampleRate: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + pcm.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([h, pcm]);
}

/** Decodes `[startS, endS)` of `file` to 16 kHz mono s16 PCM with ffmpeg. */
function decodeClip(file: string, startS: number, endS: number): Promise<Buffer> {
  return new Promise((ok, fail) => {
    const args = ['-v', 'error', '-ss', String(startS), '-t', String(endS - startS), '-i', file];
    args.push('-ac', '1', '-ar', String(ENGINE_SAMPLE_RATE), '-f', 's16le', '-');
    const p = spawn(resolveFfmpeg(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    p.once('error', fail);
    p.once('close', (code) =>
      code === 0
        ? ok(Buffer.concat(out))
        : fail(new Error(`the kept audio could not be decoded: ${err.trim()}`)),
    );
  });
}

/** Call history on the store. */
export class History implements HistoryService {
  constructor(
    private readonly db: Db,
    /** The database file; kept call audio lives beside it (null: none is kept). */
    private readonly dbPath: string | null = null,
  ) {}
  async list(q: HistoryQuery): Promise<HistoryPage> {
    return listCalls(this.db, q);
  }
  async open(id: number): Promise<StoredCall> {
    return getCall(this.db, id);
  }
  async delete(id: number): Promise<void> {
    deleteCall(this.db, id);
    const audio = this.dbPath ? keptAudioOf(this.dbPath, id) : null;
    if (audio) await rm(audio, { force: true });
  }
  async export(id: number, format: ExportFormat): Promise<string> {
    return exportCall(this.db, id, format);
  }
  async audioClip(id: number, startS: number, endS: number): Promise<AudioClip> {
    const call = getCall(this.db, id);
    const from = Math.max(0, Math.min(startS, call.result.durationS));
    const to = Math.min(endS, call.result.durationS, from + MAX_AUDIO_CLIP_S);
    if (!(to > from))
      throw Object.assign(new Error(`no audio between ${startS} s and ${endS} s of this call`), {
        code: 'bad_request',
      });
    const file = this.dbPath ? keptAudioOf(this.dbPath, id) : null;
    if (!file)
      throw Object.assign(
        new Error(
          'the audio of this call was not kept; turn on "Keep call audio" in Settings before analysing a call to play it back from History',
        ),
        { code: 'not_kept' },
      );
    const pcm = await decodeClip(file, from, to);
    return {
      mime: 'audio/wav',
      base64: wavBytes(pcm, ENGINE_SAMPLE_RATE).toString('base64'),
      startS: from,
      endS: to,
    };
  }
}

/** App information for Settings. */
export class App implements AppService {
  constructor(private readonly deps: EngineServiceDeps) {}
  async info(): Promise<AppInfo> {
    const m = loadManifest();
    const models = m.models.map((e) => {
      let installed = !e.file;
      if (e.file) {
        try {
          installed = resolveModel(e.id).path !== null;
        } catch {
          installed = false;
        }
      }
      return {
        role: e.role,
        id: e.id,
        file: e.file,
        version: e.version,
        license: e.license,
        bytes: e.bytes ?? 0,
        inUse: this.deps.models.models.some((u) => u.id === e.id),
        installed,
      };
    });
    const enc = this.deps.models.voiceprintEmbedder.use;
    const { threshold, margin } = operatingPointFor(enc.id, enc.version);
    const pkg = JSON.parse(await readFile(join(APP_ROOT, 'package.json'), 'utf8').catch(() => '{}')) as {
      version?: string;
    };
    const provider = this.deps.models.vadModel.provider;
    return {
      version: pkg.version ?? '0.0.0',
      host: this.deps.host,
      models,
      executionProvider: { name: provider.name, reason: provider.reason },
      thresholds: { identification: { modelId: enc.id, threshold, margin }, clusteringThreshold: null },
      dataFolder: dirname(this.deps.dbPath),
      dbPath: this.deps.dbPath,
      retention:
        'uploaded recordings are deleted right after analysis and only results and voiceprints are kept, unless "Keep call audio" (Privacy) is on: then a copy stays in audio/ beside the database until the call is deleted',
      liveAvailable: true,
    };
  }
}

/** Exposes every service on `server` with argument validation. */
export function exposeEngineServices(
  server: RpcServer,
  deps: Omit<EngineServiceDeps, 'emit'>,
): { queue: AnalysisQueue; live: LiveControl; shutdown: () => Promise<void> } {
  const full: EngineServiceDeps = { ...deps, emit: (s, e, p) => server.emit(s, e, p) };
  const queue = new AnalysisQueue(full);
  const live = new LiveControl(full);
  // exactly the contract's methods are callable (CONTRACTS, src-shared/contracts/services.ts)
  exposeService<LiveControlService>(server, SERVICE.live, live, CONTRACTS.live);
  exposeService<AnalysisService>(server, SERVICE.analysis, queue, CONTRACTS.analysis);
  exposeService<LibraryService>(server, SERVICE.library, new Library(full, queue), CONTRACTS.library);
  exposeService<HistoryService>(
    server,
    SERVICE.history,
    new History(deps.db, deps.dbPath),
    CONTRACTS.history,
  );
  exposeService<AppService>(server, SERVICE.app, new App(full), CONTRACTS.app);
  exposeService<ModelsService>(server, SERVICE.models, new ModelManagerService(full), CONTRACTS.models);
  /** Cancels queued/running analyses, stops the live session, waits for pending writes. */
  const shutdown = async (): Promise<void> => {
    queue.cancelAll();
    await live.stopAll();
    await queue.idle();
  };
  return { queue, live, shutdown };
}
