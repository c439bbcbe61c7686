/**
 * Finds an optional real model for the adapters' REAL tests: these files (CAM++, WeSpeaker,
 * audeering) cannot be shipped with the repository or fetched in CI, so their tests run only where
 * a user installed the file. Test support only; not imported by the app.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';

import { loadManifest, ModelNotFoundError, resolveModel } from './registry.ts';

/** Where a real model was found, or why not (`title` is the skipped test's name). */
export type RealModelLookup =
  { found: true; path: string; viaRegistry: boolean; file: string } | { found: false; title: string };

/**
 * Looks for a real model: the path in `envVar` first (it must exist when set), then the registry
 * (manifest id → user model folder / `CALLSCOPE_MODELS_DIR`, sha256-checked).
 * @throws Error when `envVar` names a file that does not exist, or the registry finds the file but
 *   it fails verification (an installed but broken model must not skip).
 */
export function findRealModel(id: string, envVar: string): RealModelLookup {
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`${envVar}=${fromEnv}: file not found`);
    return { found: true, path: fromEnv, viaRegistry: false, file: basename(fromEnv) };
  }
  const entry = loadManifest().models.find((m) => m.id === id);
  const file = entry?.file ?? id;
  try {
    const { path } = resolveModel(id);
    if (path) return { found: true, path, viaRegistry: true, file };
  } catch (err) {
    // a file that is there but fails verification is an error, not "not installed"
    if (!(err instanceof ModelNotFoundError) || err.name === 'ModelIntegrityError') throw err;
  }
  return {
    found: false,
    title: `skipped: ${file} not installed (callscope models install ${id}, or ${envVar}=<path>)`,
  };
}
