/**
 * What every service of the service layer needs (src-main/services/, one file per contract in
 * src-shared/contracts/services.ts): the loaded models (in one {@link ModelsHolder}), the open
 * database, where uploads live, which local paths may be opened, and an event emitter; plus the
 * small helpers the services share for file references. Knows nothing about the transport in
 * front (Electron engine process, web host, in-process tests).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

import type { AppInfo, EmitServiceEvent, FileRef } from '../../src-shared/contracts/services.ts';
import type { EngineModels } from '../engine/index.ts';
import type { Db } from '../store/db.ts';
import { AppError } from '../../src-shared/errors.ts';

/**
 * The engine models the services use, held in one place so that a reload (Settings > Models:
 * `use`, `remove`, `setProviders`) is seen by every service at once. Analyses and live sessions
 * read the models when they start, so one that is running keeps the set it started with.
 */
export class ModelsHolder {
  constructor(private current: EngineModels) {}

  /** The models in use now. */
  get(): EngineModels {
    return this.current;
  }

  /** Puts a freshly loaded set in place; the next `get` returns it. */
  replace(next: EngineModels): void {
    this.current = next;
  }
}

/** What the services need: loaded models, the open database, where uploads live. */
export interface EngineServiceDeps {
  models: ModelsHolder;
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
  /** Emits an event to every connected UI, its payload typed by the contract's `ServiceEvents`. */
  emit: EmitServiceEvent;
}

/** The one error every refused path reference gets (same text whether or not the file exists). */
export function pathRefRefused(): Error {
  return new AppError(
    'not_allowed',
    'this file was not chosen in Callscope; drop it or pick it with "Add files" again',
  );
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
    if (!existsSync(path)) throw new AppError('not_found', `${ref.path}: no such file`);
    return path;
  }
  const path = deps.uploadPath(ref.uploadId);
  if (!path || !existsSync(path)) throw new AppError('not_found', `upload ${ref.uploadId} not found`);
  return path;
}
