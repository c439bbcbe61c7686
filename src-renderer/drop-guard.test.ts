import { describe, expect, it } from 'vitest';

import { dropDecision, installDropGuard } from './drop-guard.ts';

/** A minimal element: `closest` answers whether an ancestor matches the drop-zone selector. */
const el = (inZone: boolean): { closest: (sel: string) => unknown } => ({
  closest: (sel: string) => (inZone && sel.includes('.dropzone') ? {} : null),
});

describe('window drop guard (issue 12, finding 3)', () => {
  it('prevents the default everywhere and refuses drops outside a drop zone', () => {
    expect(dropDecision(el(false))).toEqual({ preventDefault: true, dropEffect: 'none' });
    expect(dropDecision(el(true))).toEqual({ preventDefault: true, dropEffect: null });
    expect(dropDecision(null)).toEqual({ preventDefault: true, dropEffect: 'none' });
    expect(dropDecision({})).toEqual({ preventDefault: true, dropEffect: 'none' });
  });

  it('installs dragover and drop listeners that call preventDefault, and removes them', () => {
    const listeners = new Map<string, (e: unknown) => void>();
    const win = {
      addEventListener: (t: string, cb: (e: unknown) => void) => void listeners.set(t, cb),
      removeEventListener: (t: string) => void listeners.delete(t),
    } as unknown as Window;
    const off = installDropGuard(win);
    expect([...listeners.keys()].sort()).toEqual(['dragover', 'drop']);
    for (const type of ['dragover', 'drop']) {
      let prevented = false;
      const dataTransfer = { dropEffect: 'copy' };
      listeners.get(type)!({ target: el(false), preventDefault: () => (prevented = true), dataTransfer });
      expect(prevented).toBe(true);
      expect(dataTransfer.dropEffect).toBe('none');
    }
    off();
    expect(listeners.size).toBe(0);
  });
});
