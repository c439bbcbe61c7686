/**
 * Puts every role's default model file into `build/default-models/` for the packaged desktop app
 * (electron-builder.yml `extraResources` copies that folder into the app's `models` resources, so
 * the installed app analyses without any download). Each file is resolved by the model registry
 * wherever it is on this machine (user model folder, CALLSCOPE_MODELS_DIR, …) and verified against
 * the manifest's sha256 before it is copied; files already in the repository's `models/` are
 * packaged from there. Run: `npm run stage:models` (before electron-builder).
 *
 * Exit 1 naming every default that is missing (install them with
 * `npx callscope models install --defaults`).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import {
  APP_ROOT,
  loadManifest,
  missingModels,
  missingModelsMessage,
  MODEL_ROLES,
  resolveModel,
} from '../src-main/engine/inference/registry.ts';

const out = join(APP_ROOT, 'build', 'default-models');
const manifest = loadManifest();
const ids = MODEL_ROLES.map((r) => manifest.roles[r]?.default).filter((id): id is string => Boolean(id));
const missing = missingModels(ids);
if (missing.length) {
  process.stderr.write(`stage-default-models: ${missingModelsMessage(missing)}\n`);
  process.exit(1);
}
mkdirSync(out, { recursive: true });
for (const id of ids) {
  const { entry, path } = resolveModel(id); // sha256 verified
  if (!path || !entry.file) continue; // model-free
  if (path === join(APP_ROOT, 'models', entry.file)) {
    console.log(`${id}: in models/ (packaged from there)`);
    continue;
  }
  copyFileSync(path, join(out, entry.file));
  console.log(`${id}: ${path} -> ${join(out, entry.file)}`);
}
