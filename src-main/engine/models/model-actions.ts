/**
 * Which actions the model manager allows on a model in a given state: the rule behind the buttons
 * of Settings > Models, computed here (main side; `model-manager.ts` builds each status with it,
 * and its refusals in `useModel` and `removeModel` use the same {@link present} and
 * {@link removable}) and carried to the renderer in `ModelStatus.actions`, so the UI never
 * restates it.
 */
import type { ModelAction, ModelState, ModelStatus } from '../../../src-shared/contracts/services.ts';

/** States whose file is present and verified (or model-free): the role can run on it. */
const PRESENT: ReadonlySet<ModelState> = new Set(['bundled', 'installed', 'external']);

/** The fields of a {@link ModelStatus} the rule reads. */
export type ModelActionFacts = Pick<
  ModelStatus,
  | 'file'
  | 'state'
  | 'active'
  | 'isDefault'
  | 'optional'
  | 'downloadable'
  | 'requiresLicenseAcceptance'
  | 'licenseAcceptedAt'
>;

/**
 * Whether the state means a present, verified file (or a model-free backend): `bundled`,
 * `installed`, `external`. `useModel` refuses any other state.
 */
export function present(state: ModelState): boolean {
  return PRESENT.has(state);
}

/**
 * Whether `removeModel` may delete the model's copy in the user folder: it has a file, is an
 * optional candidate of its role and is not the role's default.
 */
export function removable(m: Pick<ModelStatus, 'file' | 'isDefault' | 'optional'>): boolean {
  return m.file !== null && m.optional && !m.isDefault;
}

/**
 * Whether `useModel` would accept the model: its file is present and verified (`bundled`,
 * `installed`, `external`) and a license that needs acceptance was accepted at install.
 */
export function usable(m: ModelActionFacts): boolean {
  return present(m.state) && (!m.requiresLicenseAcceptance || m.licenseAcceptedAt !== null);
}

/**
 * The actions allowed on a model now, in display order:
 * - `use`: {@link usable} and not already the role's model;
 * - `install`: it has a file and no verified copy is present (`available`, `missing`,
 *   `verify-failed`: a corrupted copy is replaced by installing again);
 * - `download`: `install` is allowed and the manifest has a direct URL;
 * - `remove`: an optional candidate (not the role's default, not model-free) installed in the
 *   user's model folder (`installed`), which `removeModel` deletes.
 * @returns a new array; empty when nothing is allowed (e.g. the active bundled default).
 */
export function modelActions(m: ModelActionFacts): ModelAction[] {
  const out: ModelAction[] = [];
  if (!m.active && usable(m)) out.push('use');
  const installable = m.file !== null && !present(m.state);
  if (installable) out.push('install');
  if (installable && m.downloadable) out.push('download');
  if (removable(m) && m.state === 'installed') out.push('remove');
  return out;
}
