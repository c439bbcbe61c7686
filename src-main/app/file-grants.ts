/**
 * Which local files the desktop engine may open (issue 12, finding 2): only files the user picked
 * or dropped in this session. The grant is recorded outside the page's reach: the preload resolves
 * a picked/dropped `File` to its path with Electron's `webUtils.getPathForFile` (a page cannot
 * construct a `File` that has a path) and sends it on `FILE_GRANT_CHANNEL` (src-shared/contracts/channels.ts); main checks the
 * sender frame and forwards it to the engine, which records it here. A `{kind: 'path'}` reference
 * to anything else is refused with one generic error (src-main/services/deps.ts `pathRefRefused`)
 * before any file-system access, so a caller cannot even learn whether the file exists. Pure: no
 * Electron, no file-system access.
 */
import { isAbsolute, normalize } from 'node:path';

/** Longest path accepted, characters (Linux PATH_MAX is 4096 bytes). */
export const MAX_GRANT_PATH = 4096;

/** Most paths remembered per session (oldest forgotten first); a user drops a few dozen files. */
export const MAX_GRANTS = 10_000;

/**
 * The set of paths the user granted in this session.
 * `record` refuses what cannot be a real picked file (relative, NUL, too long); `allows` answers
 * for a path given by the renderer, compared after `normalize`.
 */
export class FileGrants {
  private readonly paths = new Set<string>();

  /**
   * Records a picked/dropped file.
   * @returns false (nothing recorded) for a value that is not an absolute path of at most
   *   {@link MAX_GRANT_PATH} characters without NUL.
   */
  record(path: unknown): boolean {
    if (typeof path !== 'string' || path.length === 0 || path.length > MAX_GRANT_PATH) return false;
    if (path.includes('\0') || !isAbsolute(path)) return false;
    const p = normalize(path);
    this.paths.delete(p);
    this.paths.add(p);
    if (this.paths.size > MAX_GRANTS) this.paths.delete(this.paths.values().next().value!);
    return true;
  }

  /** Whether `path` (as the renderer sent it) was granted in this session. */
  allows(path: string): boolean {
    if (path.includes('\0') || !isAbsolute(path)) return false;
    return this.paths.has(normalize(path));
  }

  /** Number of granted paths. */
  get size(): number {
    return this.paths.size;
  }
}
