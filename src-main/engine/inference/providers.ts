/**
 * Execution-provider selection, without onnxruntime itself (that stays in `onnx.ts`): parsing of
 * provider orders from settings, the `--providers` flag and the environment, the per-role order,
 * and a pre-check that explains why a provider cannot work in this onnxruntime-node install
 * before a session is even attempted (a failed CUDA attempt otherwise only logs to stderr).
 *
 * Sources of an order, first match wins, per role:
 *  1. the settings object passed by the caller (`--providers` on `callscope analyze`);
 *  2. `CALLSCOPE_PROVIDERS` (same syntax as `--providers`);
 *  3. `CALLSCOPE_EP` (older name: one comma-separated list for every role);
 *  4. `cpu`.
 * `cpu` is appended when missing, so a requested GPU that is unavailable falls back to CPU with the
 * reason recorded instead of failing the analysis.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import {
  EXECUTION_PROVIDERS,
  type ExecutionProviderName,
  MODEL_ROLES,
  type ModelRole,
  type ProviderSettings,
} from '../../../src-shared/contracts/analysis.ts';

/** A provider list or spec that names something unknown or is malformed; the message says what. */
export class ProviderConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProviderConfigError';
  }
}

const isProvider = (s: string): s is ExecutionProviderName =>
  (EXECUTION_PROVIDERS as readonly string[]).includes(s);
const isRole = (s: string): s is ModelRole => (MODEL_ROLES as readonly string[]).includes(s);

/**
 * Parses a comma-separated provider list, e.g. `cuda,cpu` (case-insensitive, spaces ignored).
 * @param source where the text came from, for the error message (e.g. `--providers`).
 * @throws ProviderConfigError on an empty list, an unknown name or a name listed twice.
 */
export function parseProviderList(text: string, source: string): ExecutionProviderName[] {
  const names = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (!names.length) throw new ProviderConfigError(`${source}: empty execution-provider list`);
  const out: ExecutionProviderName[] = [];
  for (const n of names) {
    if (!isProvider(n)) {
      throw new ProviderConfigError(
        `${source}: unknown execution provider "${n}" (known: ${EXECUTION_PROVIDERS.join(', ')})`,
      );
    }
    if (out.includes(n)) throw new ProviderConfigError(`${source}: execution provider "${n}" listed twice`);
    out.push(n);
  }
  return out;
}

/**
 * Parses a provider spec: `;`-separated entries, each `list` (all roles) or `role=list`.
 * Examples: `cuda,cpu` · `embedding=cuda,cpu;agegender=cuda,cpu` · `cuda,cpu;vad=cpu`.
 * @throws ProviderConfigError naming the unknown role or provider, or a role given twice.
 */
export function parseProviderSpec(spec: string, source: string): ProviderSettings {
  const settings: ProviderSettings = {};
  const entries = spec
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!entries.length) throw new ProviderConfigError(`${source}: empty execution-provider spec`);
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    const key = eq < 0 ? 'default' : entry.slice(0, eq).trim().toLowerCase();
    if (key !== 'default' && !isRole(key)) {
      throw new ProviderConfigError(
        `${source}: unknown model role "${key}" (roles: ${MODEL_ROLES.join(', ')}; or no "role=" for all)`,
      );
    }
    if (settings[key]) throw new ProviderConfigError(`${source}: "${key}" given twice`);
    settings[key] = parseProviderList(
      eq < 0 ? entry : entry.slice(eq + 1),
      eq < 0 ? source : `${source} (${key})`,
    );
  }
  return settings;
}

/**
 * Checks a settings object received from outside (IPC, a settings file): every key a role or
 * `default`, every value a list of known providers.
 * @throws ProviderConfigError naming the bad key or provider.
 */
export function validateProviderSettings(value: unknown, source: string): ProviderSettings {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProviderConfigError(`${source}: provider settings must be an object of role → list`);
  }
  const out: ProviderSettings = {};
  for (const [key, list] of Object.entries(value)) {
    if (key !== 'default' && !isRole(key)) {
      throw new ProviderConfigError(
        `${source}: unknown model role "${key}" (roles: ${MODEL_ROLES.join(', ')})`,
      );
    }
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) {
      throw new ProviderConfigError(`${source}: "${key}" must be a list of provider names`);
    }
    out[key] = parseProviderList(list.join(','), `${source} (${key})`);
  }
  return out;
}

/** Where a role's provider order came from. */
export type ProviderOrderSource = 'settings' | 'CALLSCOPE_PROVIDERS' | 'CALLSCOPE_EP' | 'default';

/**
 * The provider order for a role, `cpu` appended when missing (see the module doc for precedence).
 * @param role the model role; `undefined` uses only the `default` entries.
 * @throws ProviderConfigError when an environment variable holds an invalid spec.
 */
export function providerOrderFor(
  role: ModelRole | undefined,
  settings?: ProviderSettings,
  env: NodeJS.ProcessEnv = process.env,
): { order: ExecutionProviderName[]; source: ProviderOrderSource } {
  const pick = (s: ProviderSettings): ExecutionProviderName[] | undefined =>
    (role ? s[role] : undefined) ?? s.default;
  const withCpu = (l: ExecutionProviderName[]): ExecutionProviderName[] =>
    l.includes('cpu') ? [...l] : [...l, 'cpu'];
  const fromSettings = settings ? pick(settings) : undefined;
  if (fromSettings) return { order: withCpu(fromSettings), source: 'settings' };
  if (env.CALLSCOPE_PROVIDERS?.trim()) {
    const fromEnv = pick(parseProviderSpec(env.CALLSCOPE_PROVIDERS, 'CALLSCOPE_PROVIDERS'));
    if (fromEnv) return { order: withCpu(fromEnv), source: 'CALLSCOPE_PROVIDERS' };
  }
  if (env.CALLSCOPE_EP?.trim()) {
    return { order: withCpu(parseProviderList(env.CALLSCOPE_EP, 'CALLSCOPE_EP')), source: 'CALLSCOPE_EP' };
  }
  return { order: ['cpu'], source: 'default' };
}

/** What this onnxruntime-node install offers (from `listSupportedBackends()` and its bin folder). */
export interface RuntimeBackends {
  /** `listSupportedBackends()`: names the native binding was built with; `bundled: false` = needs extra libraries. */
  backends: readonly { name: string; bundled: boolean }[];
  /** Folder of `onnxruntime_binding.node` (where the CUDA/TensorRT provider libraries must lie). */
  libraryDir: string;
  /** `process.platform`. */
  platform: string;
}

/** File name of a separately installed provider library (onnxruntime's `provider_bridge_ort.cc` naming). */
export function providerLibraryName(name: string, platform: string): string {
  if (platform === 'win32') return `onnxruntime_providers_${name}.dll`;
  if (platform === 'darwin') return `libonnxruntime_providers_${name}.dylib`;
  return `libonnxruntime_providers_${name}.so`;
}

/**
 * Why a provider cannot be used in this install, or null when a session should be attempted.
 * `cpu` is always attempted. A provider the binding was not built with is skipped; one that needs
 * libraries not shipped in the npm package (`bundled: false`: CUDA, TensorRT on Linux/Windows x64)
 * is skipped when its library is missing from {@link RuntimeBackends.libraryDir}.
 */
export function providerPrecheck(
  name: ExecutionProviderName,
  rt: RuntimeBackends,
  exists: (path: string) => boolean = existsSync,
): string | null {
  if (name === 'cpu') return null;
  const b = rt.backends.find((x) => x.name === name);
  if (!b) {
    return `not in this onnxruntime-node build (${rt.platform}: ${rt.backends.map((x) => x.name).join(', ')})`;
  }
  if (!b.bundled) {
    const lib = providerLibraryName(name, rt.platform);
    if (!exists(join(rt.libraryDir, lib))) {
      return `${lib} not installed (ONNXRUNTIME_NODE_INSTALL=cuda12, README "GPU")`;
    }
  }
  return null;
}

/** First line of an error's message (onnxruntime errors carry long native traces). */
export function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].trim();
}
