/**
 * Opening the Callscope database (better-sqlite3): location, pragmas, migrations and the mapping
 * of SQLite failures to one clear {@link StoreError}.
 *
 * Pragmas: WAL (a reader and a writer work at the same time), `synchronous = FULL` (a committed
 * call survives a crash or power loss), `foreign_keys = ON` (deletes cascade), `secure_delete = ON`
 * (deleted voiceprints are overwritten with zeros, not left in free pages), `busy_timeout` so lock
 * contention waits instead of failing with SQLITE_BUSY.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

import Database from 'better-sqlite3';

import { MIGRATIONS, SCHEMA_VERSION } from './migrations.ts';
import { enforceDbPermissions, prepareDbFiles } from './permissions.ts';
import { AppError, type ErrorCode } from '../../src-shared/errors.ts';

export type Db = Database.Database;

/** Why a store operation failed (src-shared/errors.ts documents each code). */
export type StoreErrorCode = Extract<
  ErrorCode,
  'schema_too_new' | 'read_only' | 'disk_full' | 'cannot_open' | 'busy' | 'corrupt' | 'not_found' | 'invalid'
>;

/** A store failure with a user-facing one-line message. */
export class StoreError extends AppError<StoreErrorCode> {
  constructor(code: StoreErrorCode, message: string) {
    super(code, message, { name: 'StoreError' });
  }
}

/** Default lock wait, ms: a writer holding the lock longer than this is reported as busy. */
export const BUSY_TIMEOUT_MS = 10_000;

/**
 * Database location: `explicit` (`--db`) → `CALLSCOPE_DB` → the platform's data folder
 * (`$XDG_DATA_HOME/callscope/callscope.db`, `~/Library/Application Support/Callscope/…`,
 * `%APPDATA%\Callscope\…`). The Electron shell passes `app.getPath('userData')` as `explicit`.
 */
export function resolveDbPath(explicit?: string): string {
  if (explicit) return resolve(explicit);
  if (process.env.CALLSCOPE_DB) return resolve(process.env.CALLSCOPE_DB);
  if (process.platform === 'win32')
    return join(process.env.APPDATA ?? homedir(), 'Callscope', 'callscope.db');
  if (process.platform === 'darwin')
    return join(homedir(), 'Library', 'Application Support', 'Callscope', 'callscope.db');
  return join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'callscope', 'callscope.db');
}

/**
 * Translates a better-sqlite3 / fs error into a {@link StoreError} (other errors pass through).
 * @param path database file, named in the message.
 */
export function toStoreError(err: unknown, path: string): unknown {
  if (err instanceof StoreError) return err;
  const e = err as { code?: string; message?: string };
  const code = e.code ?? '';
  if (code.startsWith('SQLITE_READONLY') || code === 'EACCES' || code === 'EROFS')
    return new StoreError('read_only', `${path}: the database is read-only; nothing was changed`);
  if (code === 'SQLITE_FULL' || code === 'ENOSPC')
    return new StoreError('disk_full', `${path}: the disk (or database) is full; nothing was changed`);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    return new StoreError('busy', `${path}: the database stayed locked by another process; try again`);
  if (code.startsWith('SQLITE_CANTOPEN'))
    return new StoreError('cannot_open', `${path}: cannot open the database (${e.message ?? code})`);
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT'))
    return new StoreError('corrupt', `${path}: not a Callscope database or damaged (${e.message ?? code})`);
  return err;
}

/** Options of {@link openDb}. */
export interface OpenOptions {
  /** Open without write access (a UI reader, or a file the user cannot write). */
  readOnly?: boolean;
  /** Migrate only up to this version (tests of the migration path). Default: latest. */
  targetVersion?: number;
  busyTimeoutMs?: number;
  /** Receives a line for each database file or folder that was readable by others (default: stderr). */
  warn?: (msg: string) => void;
  /**
   * Create the file (and its folder) when it does not exist. Default true; false opens only an
   * existing database, so a mistyped path is reported instead of becoming a new, empty library.
   */
  create?: boolean;
}

/**
 * Opens (creating if needed, unless `opts.create` is false) and migrates the database. The files
 * are private to their owner (0600, folder 0700; permissions.ts): created so, and tightened with a
 * warning on every open when found looser.
 * @throws StoreError `not_found` when the file does not exist and `opts.create` is false (the
 *   message names the path), `schema_too_new` when the file was written by a newer Callscope (nothing is
 *   changed: the version is read before any write), `read_only`, `cannot_open`, `corrupt`.
 */
export function openDb(path: string, opts: OpenOptions = {}): Db {
  const sink = opts.warn ?? ((m: string) => console.error(`callscope: warning: ${m}`));
  const warned = new Set<string>();
  const warn = (m: string): void => void (warned.has(m) || (warned.add(m), sink(m)));
  let db: Db;
  if (opts.create === false && !existsSync(path))
    throw new StoreError('not_found', `${path}: no such database (nothing was created)`);
  try {
    if (!opts.readOnly) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      prepareDbFiles(path);
      // before SQLite opens it: the -wal/-shm files it creates take the database file's mode
      enforceDbPermissions(path, warn);
    }
    db = new Database(path, {
      readonly: opts.readOnly ?? false,
      fileMustExist: opts.readOnly ?? false,
      timeout: opts.busyTimeoutMs ?? BUSY_TIMEOUT_MS,
    });
  } catch (err) {
    throw toStoreError(err, path);
  }
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new StoreError(
        'schema_too_new',
        `${path}: written by a newer Callscope (schema ${version}, this version reads up to ${SCHEMA_VERSION}); ` +
          'update Callscope, nothing was changed',
      );
    }
    db.pragma('foreign_keys = ON');
    db.pragma('secure_delete = ON');
    if (!opts.readOnly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      migrate(db, opts.targetVersion ?? SCHEMA_VERSION);
    } else if (version < SCHEMA_VERSION) {
      throw new StoreError(
        'read_only',
        `${path}: schema ${version} needs an upgrade to ${SCHEMA_VERSION}, but the database is opened read-only`,
      );
    }
    // after WAL mode is on, so the -wal/-shm files exist and are checked too
    enforceDbPermissions(path, warn);
    return db;
  } catch (err) {
    db.close();
    throw toStoreError(err, path);
  }
}

/** Applies the pending migrations up to `target`, each in its own transaction. */
export function migrate(db: Db, target: number = SCHEMA_VERSION): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (const m of MIGRATIONS) {
    if (m.version <= current || m.version > target) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}

/** Current schema version of an open database. */
export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** ISO 8601 now (UTC, ms). */
export const nowIso = (): string => new Date().toISOString();
