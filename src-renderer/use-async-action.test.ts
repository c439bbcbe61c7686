/**
 * The busy/error state behind `useAsyncAction`: busy is set while an action runs and cleared when
 * it settles, a rejection becomes the user-facing error (upload paths hidden), a new run clears
 * the old error, overlapping runs stay busy until the last settles, and a component that
 * unsubscribed (unmounted) is not notified when its action settles later. Actions are settled by
 * hand through deferred promises, so nothing depends on timing.
 */
import { describe, expect, it } from 'vitest';

import { type AsyncActionState, AsyncActionStore } from './use-async-action.ts';

/** A promise settled by the test. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** Subscribes and records every snapshot the store publishes. */
function record(store: AsyncActionStore): { seen: AsyncActionState[]; unsubscribe: () => void } {
  const seen: AsyncActionState[] = [];
  const unsubscribe = store.subscribe(() => seen.push(store.getSnapshot()));
  return { seen, unsubscribe };
}

describe('AsyncActionStore (useAsyncAction)', () => {
  it('is busy with the label while the action runs, idle after it resolves', async () => {
    const store = new AsyncActionStore();
    const { seen } = record(store);
    expect(store.getSnapshot()).toEqual({ busy: null, error: null });
    const d = deferred();
    const done = store.run(() => d.promise, 'Installing…');
    expect(store.getSnapshot()).toEqual({ busy: 'Installing…', error: null });
    d.resolve();
    await expect(done).resolves.toEqual({ ok: true });
    expect(store.getSnapshot()).toEqual({ busy: null, error: null });
    expect(seen).toEqual([
      { busy: 'Installing…', error: null },
      { busy: null, error: null },
    ]);
  });

  it('captures a rejection as the error text (upload paths hidden), never rejects, and a new run clears it', async () => {
    const store = new AsyncActionStore();
    const outcome = await store.run(() =>
      Promise.reject(new Error('/tmp/callscope-uploads-123/ab12cd: not a model file')),
    );
    expect(outcome).toEqual({ ok: false, error: 'an uploaded recording: not a model file' });
    expect(store.getSnapshot()).toEqual({ busy: null, error: 'an uploaded recording: not a model file' });
    const d = deferred();
    const next = store.run(() => d.promise);
    expect(store.getSnapshot()).toEqual({ busy: 'busy', error: null });
    d.resolve();
    await next;
    expect(store.getSnapshot().error).toBeNull();
    // a thrown non-Error is worded too
    await store.run(() => Promise.reject('engine gone'));
    expect(store.getSnapshot().error).toBe('engine gone');
  });

  it('stays busy until the last of overlapping runs settles', async () => {
    const store = new AsyncActionStore();
    const a = deferred();
    const b = deferred();
    const ra = store.run(() => a.promise, 'A');
    const rb = store.run(() => b.promise, 'B');
    a.reject(new Error('A failed'));
    await ra;
    expect(store.getSnapshot()).toEqual({ busy: 'B', error: 'A failed' });
    b.resolve();
    await rb;
    expect(store.getSnapshot()).toEqual({ busy: null, error: 'A failed' });
  });

  it('does not notify an unsubscribed (unmounted) component when its action settles', async () => {
    const store = new AsyncActionStore();
    const { seen, unsubscribe } = record(store);
    const d = deferred();
    const done = store.run(() => d.promise, 'Removing…');
    expect(seen).toHaveLength(1);
    unsubscribe(); // what React does when the component unmounts
    d.reject(new Error('engine gone'));
    await expect(done).resolves.toEqual({ ok: false, error: 'engine gone' });
    expect(seen).toHaveLength(1);
    store.setError(null);
    expect(seen).toHaveLength(1);
  });

  it('publishes a new snapshot only on a change, so React re-renders only then', () => {
    const store = new AsyncActionStore();
    const { seen } = record(store);
    const before = store.getSnapshot();
    store.setError(null);
    expect(store.getSnapshot()).toBe(before);
    store.setError('list failed');
    store.setError('list failed');
    expect(seen).toEqual([{ busy: null, error: 'list failed' }]);
  });
});
