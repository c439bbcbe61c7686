/**
 * Window-level guard against file drops outside the drop zone (issue 12, finding 3): by default a
 * browser navigates to a file dropped anywhere on the page, and in the desktop shell a dropped
 * `.html` would then run in the app's window. Every `dragover` and `drop` reaching the window is
 * default-prevented; outside a drop zone the cursor shows that nothing can be dropped there. Drop
 * zones (an element with class `dropzone` or attribute `data-dropzone`) handle their own events
 * first (React's handlers run before the event bubbles to the window).
 */

/** Selector of the elements that accept dropped files. */
export const DROP_ZONE_SELECTOR = '.dropzone, [data-dropzone]';

/** What the guard does with one drag event: always prevent the default; where drops are refused, show `none`. */
export interface DropDecision {
  preventDefault: true;
  /** `none` outside a drop zone (no-drop cursor); null: leave the zone's own choice. */
  dropEffect: 'none' | null;
}

/**
 * The decision for a `dragover`/`drop` event whose target is `target`.
 * @param target the event target; anything without `closest` (text nodes, window) is outside.
 */
export function dropDecision(target: unknown): DropDecision {
  const el = target as { closest?: (sel: string) => unknown } | null;
  const inZone = typeof el?.closest === 'function' && el.closest(DROP_ZONE_SELECTOR) != null;
  return { preventDefault: true, dropEffect: inZone ? null : 'none' };
}

/**
 * Installs the guard on `win` (call once from the renderer entry).
 * @returns a function that removes it.
 */
export function installDropGuard(win: Pick<Window, 'addEventListener' | 'removeEventListener'>): () => void {
  const onDrag = (e: DragEvent): void => {
    const d = dropDecision(e.target);
    e.preventDefault();
    if (d.dropEffect && e.dataTransfer) e.dataTransfer.dropEffect = d.dropEffect;
  };
  win.addEventListener('dragover', onDrag);
  win.addEventListener('drop', onDrag);
  return () => {
    win.removeEventListener('dragover', onDrag);
    win.removeEventListener('drop', onDrag);
  };
}
