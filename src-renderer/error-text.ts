/**
 * How an error from a remote call is worded to the user. Its own module (no zustand store, no
 * `localStorage`) so that pure renderer code and its node unit tests can use it.
 */

/**
 * Text with the web host's temporary upload paths (`…/callscope-uploads-<pid>/<hex id>`, which
 * mean nothing to a user) replaced by "an uploaded recording". The engine already names files by
 * their own name; this also covers history titles stored before it did.
 */
export function hideUploadPaths(text: string): string {
  return text.replace(/\S*callscope-uploads-[^\s:]*/g, 'an uploaded recording');
}

/** Human message of an error from a remote call (upload paths hidden). */
export const errorText = (e: unknown): string => hideUploadPaths(e instanceof Error ? e.message : String(e));
