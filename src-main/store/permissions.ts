/**
 * File permissions of the database (issue 12, finding 5): voiceprints are biometric data, so the
 * database, its WAL and shared-memory files are readable by their owner only (0600) and a data
 * folder Callscope creates is 0700. Checked on every open: anything looser is tightened and
 * reported. POSIX only (on Windows the user's profile folder ACLs apply; nothing is done).
 *
 * An existing folder is tightened only when it is Callscope's own (named `callscope`, any case, as
 * the default data folders and the Electron user-data folder are); a folder chosen with `--db`
 * elsewhere (e.g. the home folder) is never changed, only reported.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';

/** Mode of the database files (owner read/write). */
export const DB_FILE_MODE = 0o600;
/** Mode of Callscope's data folder (owner only). */
export const DB_DIR_MODE = 0o700;

/** The database file and the SQLite files beside it that hold its content. */
export const dbFiles = (path: string): string[] => [path, `${path}-wal`, `${path}-shm`, `${path}-journal`];

const loose = (mode: number, allowed: number): boolean => (mode & 0o777 & ~allowed) !== 0;
const octal = (mode: number): string => (mode & 0o777).toString(8).padStart(3, '0');

/**
 * Creates the data folder (0700) and an empty database file (0600) when missing, so SQLite never
 * creates them with the umask's mode. Call before opening the database for writing.
 */
export function prepareDbFiles(path: string): void {
  if (process.platform === 'win32' || path === '' || path === ':memory:') return;
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: DB_DIR_MODE });
  if (!existsSync(path)) closeSync(openSync(path, 'a', DB_FILE_MODE));
}

/**
 * Tightens the database files (0600) and Callscope's own data folder (0700) where they are looser.
 * @param warn receives one line per file that was too open (and whether it was fixed).
 * @returns the lines reported (empty when everything was already private).
 */
export function enforceDbPermissions(path: string, warn: (msg: string) => void): string[] {
  if (process.platform === 'win32' || path === '' || path === ':memory:') return [];
  const out: string[] = [];
  const report = (msg: string): void => {
    out.push(msg);
    warn(msg);
  };
  const fix = (file: string, allowed: number, tighten: boolean): void => {
    let mode: number;
    try {
      mode = statSync(file).mode;
    } catch {
      return; // not there (no WAL yet)
    }
    if (!loose(mode, allowed)) return;
    if (!tighten) {
      report(
        `${file} is readable by other users (mode ${octal(mode)}); voiceprints are biometric data — run chmod ${octal(allowed)} on it`,
      );
      return;
    }
    try {
      chmodSync(file, mode & allowed);
      report(
        `${file} was readable by other users (mode ${octal(mode)}); tightened to ${octal(mode & allowed)}`,
      );
    } catch (err) {
      report(
        `${file} is readable by other users (mode ${octal(mode)}) and cannot be tightened: ${(err as Error).message}`,
      );
    }
  };
  const dir = dirname(path);
  fix(dir, DB_DIR_MODE, basename(dir).toLowerCase() === 'callscope');
  for (const f of dbFiles(path)) fix(f, DB_FILE_MODE, true);
  return out;
}
