/**
 * The model manager: lists the manifest's models with their state on this machine, installs an
 * optional (or missing default) model into the user's model folder from a local file or by an
 * explicit download, re-verifies installed files and removes them.
 *
 * Every install goes through `<user dir>/<file>.part`: the bytes are hashed (sha256) and sized
 * against the manifest before an atomic rename puts the file in place, so a refused or interrupted
 * install never leaves a file the registry would pick up. A download resumes an existing `.part`
 * with an HTTP `Range` request (RFC 9110 §14). Installs are recorded in `installed.json` (see
 * registry.ts), with the license acceptance and, for models whose sha256 the manifest does not
 * know, the hash computed at the user's explicit `acceptUnverified`.
 *
 * Nothing here runs unless the user asks: the app never downloads by itself (ARCHITECTURE.md).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { MODEL_ROLES as ROLES, type ProviderSettings } from '../../../src-shared/contracts/analysis.ts';
import { EXECUTION_PROVIDERS } from '../../../src-shared/contracts/analysis.ts';
import type {
  ModelInstallOptions,
  ModelState,
  ModelStatus,
  ModelVerifyResult,
  ProviderStatus,
} from '../../../src-shared/contracts/services.ts';
import { modelActions, present, removable } from '../models/model-actions.ts';
import {
  candidatePaths,
  clearModelCache,
  expectedSha256,
  INSTALL_RECORD_FILE,
  activeModelId,
  MODEL_CHOICES_FILE,
  type ModelChoices,
  readModelChoices,
  readSavedProviders,
  resolveModel,
  type InstallRecord,
  loadManifest,
  MODEL_ROLES,
  type ModelEntry,
  ModelIntegrityError,
  modelOrigin,
  readInstallRecords,
  userModelDir,
} from '../inference/registry.ts';
import { runtimeBackends } from '../inference/onnx.ts';
import { providerOrderFor, providerPrecheck, validateProviderSettings } from '../inference/providers.ts';
import { AppError, type ErrorCode } from '../../../src-shared/errors.ts';

/** Why an install or removal was refused (src-shared/errors.ts documents each code). */
export type ModelManagerErrorCode = Extract<
  ErrorCode,
  | 'unknown_model'
  | 'no_file'
  | 'license_not_accepted'
  | 'unverified'
  | 'size_mismatch'
  | 'sha256_mismatch'
  | 'no_url'
  | 'bad_url'
  | 'network'
  | 'busy'
  | 'bundled'
  | 'not_installed'
  | 'not_usable'
>;

/** A refused model-manager operation; the message names the model, the problem and the fix. */
export class ModelManagerError extends AppError<ModelManagerErrorCode> {
  constructor(code: ModelManagerErrorCode, message: string) {
    super(code, message, { name: 'ModelManagerError' });
  }
}

/**
 * Download progress of one {@link downloadModel} call: bytes received so far, counting a resumed
 * part from its start (the first event of a resumed download is the part's size). Non-decreasing
 * within one call; bytes received but not yet written when a connection breaks are not in the
 * `.part`, so the next call may start below the last value reported by the one before.
 */
export interface DownloadProgress {
  receivedBytes: number;
  /** Full file size, when known (manifest or HTTP headers). */
  totalBytes: number | null;
}

/** Options of {@link downloadModel}. */
export interface DownloadOptions extends ModelInstallOptions {
  /** Download from this address instead of the manifest URL (https, or http on loopback only). */
  url?: string;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
}

const busy = new Set<string>();

/** The manifest entry of `id`. @throws ModelManagerError `unknown-model`. */
export function modelEntry(id: string): ModelEntry {
  const entry = loadManifest().models.find((m) => m.id === id);
  if (!entry) {
    const ids = loadManifest()
      .models.map((m) => m.id)
      .join(', ');
    throw new ModelManagerError('unknown_model', `unknown model "${id}"; models: ${ids}`);
  }
  return entry;
}

const isDefault = (e: ModelEntry): boolean => loadManifest().roles[e.role]?.default === e.id;
const isOptional = (e: ModelEntry): boolean =>
  (loadManifest().roles[e.role]?.candidates ?? []).includes(e.id);
const userPath = (e: ModelEntry): string => join(userModelDir(), e.file!);
const partPath = (e: ModelEntry): string => userPath(e) + '.part';

/** sha256 of a file, streamed (the event loop stays free for the UI while a large file hashes). */
export async function sha256FileAsync(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), hash);
  return hash.digest('hex');
}

/** Hashes verified in this process, keyed by path and invalidated by size or mtime changes. */
const hashCache = new Map<string, { size: number; mtimeMs: number; sha256: string }>();

async function cachedSha256(path: string): Promise<string> {
  const st = await stat(path);
  const hit = hashCache.get(path);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.sha256;
  const sha256 = await sha256FileAsync(path);
  hashCache.set(path, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
  return sha256;
}

/**
 * The state of one model on this machine. Hashes the file found (cached per path, size and mtime;
 * {@link verifyModels} always re-hashes).
 * @throws ModelManagerError `unknown-model`.
 */
export async function modelStatus(id: string): Promise<ModelStatus> {
  const e = modelEntry(id);
  const records = readInstallRecords();
  const rec = records[e.id] as InstallRecord | undefined;
  const base = {
    id: e.id,
    role: e.role,
    file: e.file,
    version: e.version,
    license: e.license,
    licenseUrl: e.licenseUrl ?? null,
    requiresLicenseAcceptance: Boolean(e.requiresLicenseAcceptance),
    licenseAcceptedAt: rec?.licenseAcceptedAt ?? null,
    bytes: e.bytes,
    sha256: e.sha256,
    isDefault: isDefault(e),
    optional: isOptional(e),
    downloadable: Boolean(e.url),
    source: e.source,
    notes: e.notes ?? null,
  };
  const active = activeOf(e);
  if (!e.file) {
    const st = {
      ...base,
      active,
      state: 'bundled' as const,
      path: null,
      origin: 'model-free' as const,
      error: null,
      partialBytes: 0,
      trust: null,
    };
    return { ...st, actions: modelActions(st) };
  }
  const part = partPath(e);
  const partialBytes = existsSync(part) ? statSync(part).size : 0;
  const found = candidatePaths(e.file).find((p) => existsSync(p)) ?? null;
  let state: ModelState;
  let error: string | null = null;
  if (!found) {
    state = base.isDefault ? 'missing' : 'available';
    if (state === 'missing')
      error = `default ${e.role} model not found; install it or set CALLSCOPE_MODELS_DIR`;
  } else {
    const expected = expectedSha256(e, found);
    const actual = expected ? await cachedSha256(found) : null;
    if (!expected) {
      state = 'verify-failed';
      error = `${found}: no sha256 is known for this file (manifest or install record)`;
    } else if (actual !== expected) {
      state = 'verify-failed';
      error = `${found}: sha256 ${actual}, expected ${expected}`;
    } else {
      const o = modelOrigin(e.file, found);
      state = o === 'app' ? 'bundled' : o === 'user' ? 'installed' : 'external';
    }
  }
  const trust = found && found === userPath(e) ? (rec?.trust ?? (e.sha256 ? 'manifest' : null)) : null;
  const origin = found ? modelOrigin(e.file, found) : null;
  const st = { ...base, active, state, path: found, origin, error, partialBytes, trust };
  return { ...st, actions: modelActions(st) };
}

/** Every manifest model with its state, grouped by role (vad, segmentation, embedding, agegender). */
export async function listModels(): Promise<ModelStatus[]> {
  const out: ModelStatus[] = [];
  const models = [...loadManifest().models].sort(
    (a, b) => MODEL_ROLES.indexOf(a.role) - MODEL_ROLES.indexOf(b.role),
  );
  for (const m of models) out.push(await modelStatus(m.id));
  return out;
}

/**
 * Re-hashes every model file found on this machine (bundled and installed; no cache).
 * @param ids only these models (default: all).
 * @returns one result per file found; `ok` false for a mismatch or an unknown hash.
 */
export async function verifyModels(ids?: string[]): Promise<ModelVerifyResult[]> {
  const out: ModelVerifyResult[] = [];
  for (const e of loadManifest().models) {
    if (!e.file || (ids && !ids.includes(e.id))) continue;
    const path = candidatePaths(e.file).find((p) => existsSync(p));
    if (!path) continue;
    const expected = expectedSha256(e, path);
    const sha256 = await sha256FileAsync(path);
    const st = await stat(path);
    hashCache.set(path, { size: st.size, mtimeMs: st.mtimeMs, sha256 });
    const ok = expected !== null && sha256 === expected;
    const error = ok
      ? null
      : expected === null
        ? `no sha256 is known for ${path}; install it again with --accept-unverified or remove it`
        : `sha256 mismatch: ${path} has ${sha256}, expected ${expected}; install it again or remove it`;
    out.push({ id: e.id, path, ok, sha256, expected, error });
  }
  return out;
}

/**
 * Verifies only the models installed in the user's model folder (start-up check of the hosts).
 * @returns the failures (empty when everything verifies).
 */
export async function checkInstalledModels(): Promise<ModelVerifyResult[]> {
  const installed = loadManifest().models.filter((e) => e.file && existsSync(userPath(e)));
  if (!installed.length) return [];
  const mine = new Set(installed.map(userPath));
  return (await verifyModels(installed.map((e) => e.id))).filter((r) => !r.ok && mine.has(r.path));
}

/** Refusals that do not need the file: unknown id, model-free, license, unknown hash. */
function preflight(id: string, opts: ModelInstallOptions): ModelEntry {
  const e = modelEntry(id);
  if (!e.file) throw new ModelManagerError('no_file', `model ${id} is built in (no file to install)`);
  if (e.requiresLicenseAcceptance && !opts.acceptLicense) {
    throw new ModelManagerError(
      'license_not_accepted',
      `model ${id} is licensed ${e.license}${e.licenseUrl ? ` (${e.licenseUrl})` : ''}` +
        `${e.licenseNotice ? `: ${e.licenseNotice}` : ''}. Read the license and accept it explicitly ` +
        '(--accept-license, or the confirmation in Settings) to install it.',
    );
  }
  if (!e.sha256 && !opts.acceptUnverified) {
    throw new ModelManagerError(
      'unverified',
      `model ${id} has no known sha256 in the manifest, so Callscope cannot check the file. If you ` +
        'trust its source, pass --accept-unverified (Settings: "trust this file"): the hash computed ' +
        'now is recorded and every later start checks the file against it.',
    );
  }
  if (busy.has(id)) throw new ModelManagerError('busy', `model ${id} is being installed already`);
  return e;
}

/** Checks the finished `.part` and moves it into place; records the install. */
async function finish(e: ModelEntry, part: string, sha256: string, source: string): Promise<ModelStatus> {
  const size = (await stat(part)).size;
  if (e.bytes !== null && size !== e.bytes) {
    await rm(part, { force: true });
    throw new ModelManagerError(
      'size_mismatch',
      `model ${e.id}: the file is ${size} bytes, the manifest's ${e.file} is ${e.bytes} bytes; nothing installed`,
    );
  }
  if (e.sha256 && sha256 !== e.sha256) {
    await rm(part, { force: true });
    throw new ModelManagerError(
      'sha256_mismatch',
      `model ${e.id}: sha256 ${sha256} does not match the manifest's ${e.sha256}; the file is ` +
        'corrupt or a different model. Nothing installed.',
    );
  }
  const target = userPath(e);
  await rename(part, target);
  const now = new Date().toISOString();
  await writeRecord(e.id, {
    id: e.id,
    file: e.file!,
    sha256,
    bytes: size,
    installedAt: now,
    source,
    trust: e.sha256 ? 'manifest' : 'user-accepted',
    ...(e.requiresLicenseAcceptance ? { licenseAcceptedAt: now } : {}),
  });
  clearModelCache();
  hashCache.delete(target);
  return modelStatus(e.id);
}

/** Writes (or with `rec` null, deletes) one install record; atomic (temp file + rename). */
async function writeRecord(id: string, rec: InstallRecord | null): Promise<void> {
  const dir = userModelDir();
  const models = { ...readInstallRecords() };
  if (rec) models[id] = rec;
  else delete models[id];
  const path = join(dir, INSTALL_RECORD_FILE);
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify({ schemaVersion: 1, models }, null, 2) + '\n');
  await rename(tmp, path);
}

/**
 * Installs model `id` from a local file (offline install): copies it to `<file>.part` in the
 * user's model folder while hashing, checks size and sha256, then renames it into place.
 * @throws ModelManagerError: `unknown-model`, `no-file`, `license-not-accepted`, `unverified`,
 *   `size-mismatch`, `sha256-mismatch` (nothing is installed), or Error when `from` is unreadable.
 */
export async function installFromFile(
  id: string,
  from: string,
  opts: ModelInstallOptions = {},
): Promise<ModelStatus> {
  const e = preflight(id, opts);
  const src = resolve(from);
  const st = await stat(src).catch(() => null);
  if (!st?.isFile()) throw new Error(`${from}: no such file`);
  if (e.bytes !== null && st.size !== e.bytes) {
    throw new ModelManagerError(
      'size_mismatch',
      `${from} is ${st.size} bytes, the manifest's ${e.file} (model ${id}) is ${e.bytes} bytes; nothing installed`,
    );
  }
  busy.add(id);
  try {
    await mkdir(userModelDir(), { recursive: true });
    const part = partPath(e);
    const hash = createHash('sha256');
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(createReadStream(src), tap, createWriteStream(part, { flags: 'w' }));
    } catch (err) {
      await rm(part, { force: true });
      throw err;
    }
    return await finish(e, part, hash.digest('hex'), `file:${src}`);
  } finally {
    busy.delete(id);
  }
}

/** Most redirects one download follows. */
export const MAX_REDIRECTS = 5;

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * Whether `host` is on the manifest's download allow-list (`downloadHosts`: exact names, or
 * `*.example.org` for any subdomain of example.org).
 */
export function hostAllowed(host: string, allowed: readonly string[]): boolean {
  const h = host.toLowerCase();
  return allowed.some((a) =>
    a.startsWith('*.') ? h.endsWith(a.slice(1)) && h.length > a.length - 1 : h === a,
  );
}

/**
 * Checks one address of a download (the first, or a redirect hop): https to a host on the
 * manifest's allow-list; or, only when the caller gave an explicit loopback source (tests, a local
 * mirror), that same loopback origin.
 * @param explicitLoopback origin of an explicit `--url`/test source on loopback, else null.
 * @throws ModelManagerError `bad-url` naming the address and what is allowed.
 */
export function checkDownloadUrl(
  id: string,
  url: string,
  allowed: readonly string[],
  explicitLoopback: string | null,
): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ModelManagerError('bad_url', `model ${id}: "${url}" is not a URL`);
  }
  if (explicitLoopback !== null && u.origin === explicitLoopback) return u;
  if (u.protocol !== 'https:' || !hostAllowed(u.hostname, allowed) || u.username || u.password) {
    throw new ModelManagerError(
      'bad_url',
      `model ${id}: ${url}: refused; downloads use https to ${allowed.join(', ') || '(no host allowed)'} only`,
    );
  }
  return u;
}

/** The loopback origin of an explicit download source, or null (see {@link checkDownloadUrl}). */
function loopbackOrigin(url: string | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return LOOPBACK.includes(u.hostname) && (u.protocol === 'http:' || u.protocol === 'https:')
      ? u.origin
      : null;
  } catch {
    return null;
  }
}

/**
 * Downloads model `id` (explicit user request only) into `<file>.part` in the user's model
 * folder, resuming an existing part with `Range: bytes=N-` (a server answering 200 instead of 206
 * restarts it), then checks size and sha256 and renames it into place.
 * @throws ModelManagerError: the refusals of {@link installFromFile}, `no-url` (the manifest has
 *   no direct download), `bad-url`, `network` (the `.part` is kept: run again to resume). A hash
 *   mismatch deletes the part (resuming it could not repair it).
 */
export async function downloadModel(id: string, opts: DownloadOptions = {}): Promise<ModelStatus> {
  const e = preflight(id, opts);
  const url = opts.url ?? e.url;
  if (!url) {
    throw new ModelManagerError(
      'no_url',
      `model ${id} has no direct download${e.notes ? `: ${e.notes}` : ''}; install it with --from <file>`,
    );
  }
  const explicit = loopbackOrigin(opts.url);
  checkDownloadUrl(id, url, loadManifest().downloadHosts, explicit);
  busy.add(id);
  try {
    await mkdir(userModelDir(), { recursive: true });
    const part = partPath(e);
    await fetchToPart(e, url, part, opts, explicit);
    return await finish(e, part, await sha256FileAsync(part), `download:${url}`);
  } finally {
    busy.delete(id);
  }
}

/** Largest download of a model whose size the manifest does not know, bytes (4 GiB). */
export const MAX_UNKNOWN_MODEL_BYTES = 4 * 1024 ** 3;

/**
 * GETs `url`, following redirects one hop at a time (at most {@link MAX_REDIRECTS}), each hop
 * checked with {@link checkDownloadUrl} before it is requested.
 */
async function fetchChecked(
  e: ModelEntry,
  url: string,
  headers: Record<string, string>,
  opts: DownloadOptions,
  explicit: string | null,
): Promise<Response> {
  const allowed = loadManifest().downloadHosts;
  let at = url;
  for (let hop = 0; ; hop++) {
    checkDownloadUrl(e.id, at, allowed, explicit);
    let res: Response;
    try {
      res = await fetch(at, { headers, redirect: 'manual', signal: opts.signal });
    } catch (err) {
      throw new ModelManagerError('network', `model ${e.id}: cannot reach ${at}: ${causeOf(err)}`);
    }
    if (![301, 302, 303, 307, 308].includes(res.status)) return res;
    await res.body?.cancel().catch(() => undefined);
    const location = res.headers.get('location');
    if (!location)
      throw new ModelManagerError('network', `model ${e.id}: ${at} redirected without a Location`);
    if (hop >= MAX_REDIRECTS)
      throw new ModelManagerError(
        'network',
        `model ${e.id}: more than ${MAX_REDIRECTS} redirects from ${url}`,
      );
    at = new URL(location, at).href;
  }
}

async function fetchToPart(
  e: ModelEntry,
  url: string,
  part: string,
  opts: DownloadOptions,
  explicit: string | null,
): Promise<void> {
  let have = existsSync(part) ? statSync(part).size : 0;
  if (e.bytes !== null && have > e.bytes) {
    await rm(part, { force: true });
    have = 0;
  }
  if (e.bytes !== null && have === e.bytes) return; // complete part from an earlier run: verify it
  const res = await fetchChecked(e, url, have > 0 ? { Range: `bytes=${have}-` } : {}, opts, explicit);
  if (res.status === 416 && have > 0) return; // nothing left to fetch: the hash check decides
  if (!res.ok || !res.body) {
    throw new ModelManagerError('network', `model ${e.id}: ${url} answered HTTP ${res.status}`);
  }
  const resumed = res.status === 206;
  if (resumed && !(res.headers.get('content-range') ?? '').startsWith(`bytes ${have}-`)) {
    throw new ModelManagerError(
      'network',
      `model ${e.id}: ${url} answered a range other than the one asked (bytes ${have}-)`,
    );
  }
  let received = resumed ? have : 0;
  const length = Number(res.headers.get('content-length') ?? NaN);
  const total = e.bytes ?? (Number.isFinite(length) ? received + length : null);
  // never more than the manifest's size (or a fixed cap where it is unknown) reaches the disk
  const cap = e.bytes ?? MAX_UNKNOWN_MODEL_BYTES;
  const tooBig = (): ModelManagerError =>
    new ModelManagerError(
      'size_mismatch',
      `model ${e.id}: ${url} sends more than the expected ${cap} bytes; download stopped and discarded`,
    );
  if (Number.isFinite(length) && received + length > cap) {
    await res.body.cancel().catch(() => undefined);
    await rm(part, { force: true });
    throw tooBig();
  }
  opts.onProgress?.({ receivedBytes: received, totalBytes: total });
  const count = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (received + chunk.length > cap) return cb(tooBig());
      received += chunk.length;
      opts.onProgress?.({ receivedBytes: received, totalBytes: total });
      cb(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(res.body as Parameters<typeof Readable.fromWeb>[0]),
      count,
      createWriteStream(part, { flags: resumed ? 'a' : 'w' }),
    );
  } catch (err) {
    if (err instanceof ModelManagerError) {
      await rm(part, { force: true });
      throw err;
    }
    throw new ModelManagerError(
      'network',
      `model ${e.id}: download interrupted after ${received}${total ? ` of ${total}` : ''} bytes ` +
        `(${causeOf(err)}); run the same install again to resume`,
    );
  }
  if (total !== null && received < total) {
    throw new ModelManagerError(
      'network',
      `model ${e.id}: download ended after ${received} of ${total} bytes; run the same install again to resume`,
    );
  }
}

const causeOf = (err: unknown): string => {
  const e = err as Error & { cause?: { message?: string; code?: string } };
  return [e.message, e.cause?.code ?? e.cause?.message].filter(Boolean).join(': ');
};

/**
 * Removes an installed optional model from the user's model folder (file, partial download and
 * install record).
 * @throws ModelManagerError `bundled` for role defaults and models that are not optional
 *   candidates, `not-installed` when the user folder has no copy.
 */
export async function removeModel(id: string): Promise<ModelStatus> {
  const e = modelEntry(id);
  if (!removable({ file: e.file, isDefault: isDefault(e), optional: isOptional(e) })) {
    throw new ModelManagerError(
      'bundled',
      `model ${id} is ${isDefault(e) ? `the default ${e.role} model` : 'bundled with the app'}; it cannot be removed`,
    );
  }
  const target = userPath(e);
  const part = partPath(e);
  const records = readInstallRecords();
  if (!existsSync(target) && !existsSync(part) && !records[id]) {
    throw new ModelManagerError('not_installed', `model ${id} is not installed in ${userModelDir()}`);
  }
  await rm(target, { force: true });
  await rm(part, { force: true });
  if (records[id]) await writeRecord(id, null);
  // a removed model is no longer usable: its role goes back to the default
  if (safeChoices()[e.role] === id) await useDefaultModel(e.role);
  clearModelCache();
  hashCache.delete(target);
  return modelStatus(id);
}

/** Whether the role uses this model now; a malformed or stale choice counts as "not this one". */
function activeOf(e: ModelEntry): boolean {
  try {
    return activeModelId(e.role) === e.id;
  } catch {
    return false;
  }
}

async function writeChoices(roles: ModelChoices, providers = safeProviders()): Promise<void> {
  const dir = userModelDir();
  await mkdir(dir, { recursive: true });
  const path = join(dir, MODEL_CHOICES_FILE);
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const body = providers ? { schemaVersion: 1, roles, providers } : { schemaVersion: 1, roles };
  await writeFile(tmp, JSON.stringify(body, null, 2) + '\n');
  await rename(tmp, path);
}

function safeProviders(): ProviderSettings | null {
  try {
    return readSavedProviders();
  } catch {
    return null;
  }
}

/**
 * Saves the execution-provider order per role (Settings, `callscope models providers --set`);
 * null removes it. Applies to models loaded afterwards; a provider that cannot start falls back
 * to the next one with the reason recorded in every result.
 * @throws ProviderConfigError for an unknown role or provider.
 */
export async function saveProviderSettings(settings: ProviderSettings | null): Promise<void> {
  const valid = settings ? validateProviderSettings(settings, 'provider settings') : null;
  await writeChoices({ ...safeChoices() }, valid && Object.keys(valid).length ? valid : null);
}

/**
 * Makes model `id` the one its role uses (Settings > Models "Use", `callscope models use <id>`):
 * it must be present and pass its sha256 check now, and a license that needs acceptance must have
 * been accepted at install. The choice is kept in `choices.json` in the user's model folder and
 * applies to analyses and live sessions started afterwards. Choosing the role's default removes
 * the choice.
 * @throws ModelManagerError `unknown-model`, or `not-usable` naming the reason (not installed,
 *   verify failed, license not accepted).
 */
export async function useModel(id: string): Promise<ModelStatus> {
  const e = modelEntry(id);
  const st = await modelStatus(id);
  if (!present(st.state)) {
    const why =
      st.state === 'available'
        ? `it is not installed (callscope models install ${id} [--from <file>])`
        : st.state === 'verify-failed'
          ? `its file failed verification: ${st.error ?? ''}`
          : (st.error ?? `its state is ${st.state}`);
    throw new ModelManagerError('not_usable', `model ${id} cannot be used: ${why}`);
  }
  if (e.requiresLicenseAcceptance && !st.licenseAcceptedAt)
    throw new ModelManagerError(
      'not_usable',
      `model ${id} cannot be used: its license (${e.license}) was not accepted; reinstall it with the license accepted`,
    );
  try {
    resolveModel(id);
  } catch (err) {
    throw new ModelManagerError('not_usable', `model ${id} cannot be used: ${(err as Error).message}`);
  }
  const roles = { ...safeChoices() };
  if (isDefault(e)) delete roles[e.role];
  else roles[e.role] = id;
  await writeChoices(roles);
  return modelStatus(id);
}

/**
 * Goes back to the manifest default for `role` (`callscope models use --default <role>`).
 * @returns the status of the default model.
 * @throws ModelManagerError `unknown-model` when the role has no default.
 */
export async function useDefaultModel(role: ModelEntry['role']): Promise<ModelStatus> {
  const roles = { ...safeChoices() };
  delete roles[role];
  await writeChoices(roles);
  const id = loadManifest().roles[role]?.default;
  if (!id) throw new ModelManagerError('unknown_model', `role ${role} has no default model`);
  return modelStatus(id);
}

/** The current choices; a malformed file is replaced rather than blocking every change. */
function safeChoices(): ModelChoices {
  try {
    return readModelChoices();
  } catch {
    return {};
  }
}

/**
 * The saved provider order, the order in effect per role (saved, else `CALLSCOPE_PROVIDERS`,
 * else CPU) and which providers this onnxruntime-node install can try.
 * @param inUse what the loaded models run on (the caller's engine), empty when none are loaded.
 * @throws ProviderConfigError when `CALLSCOPE_PROVIDERS` is invalid.
 */
export function providerStatus(inUse: ProviderStatus['inUse'] = []): ProviderStatus {
  const saved = safeProviders();
  const effective = Object.fromEntries(
    ROLES.map((r) => [r, providerOrderFor(r, saved ?? undefined)]),
  ) as ProviderStatus['effective'];
  const rt = runtimeBackends();
  const available = EXECUTION_PROVIDERS.map((name) => {
    const reason = providerPrecheck(name, rt);
    return { name, usable: reason === null, reason };
  });
  return { saved, effective, available, inUse };
}

/** Re-exported so callers need one import for the manager's errors. */
export { ModelIntegrityError };
