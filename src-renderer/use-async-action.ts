/**
 * One busy/error state for a user action that calls the engine (install, remove, save, start…),
 * instead of a `busy`/`error` pair of `useState`s and the same try/catch/finally in every
 * component. {@link AsyncActionStore} holds the state and is plain TypeScript (unit-tested in
 * node); {@link useAsyncAction} binds one store to a component with `useSyncExternalStore`, so an
 * action that settles after the component is gone updates nothing.
 */
import { useState, useSyncExternalStore } from 'react';

import { errorText } from './error-text.ts';

/** What a component draws from its action. */
export interface AsyncActionState {
  /**
   * The label of the action in progress (e.g. `'Installing…'`; `'busy'` when none was given), or
   * null when none is running. With several overlapping actions: the latest one's label, until
   * the last one settles.
   */
  readonly busy: string | null;
  /** The user-facing message of the last failed action (see `errorText`), or null. */
  readonly error: string | null;
}

/** How one run ended: `ok`, or the message it failed with (also kept in the state's `error`). */
export type AsyncOutcome = { ok: true } | { ok: false; error: string };

const IDLE: AsyncActionState = { busy: null, error: null };

/**
 * The state machine behind {@link useAsyncAction}: `run` sets `busy` and clears `error`, and when
 * the action settles clears `busy` (once no other run is pending) and, on a rejection, sets
 * `error`. Snapshots are immutable (a new object per change), as `useSyncExternalStore` needs.
 * Listeners removed by their unsubscribe function are never called again, so a run that settles
 * after its component unmounted changes nothing on screen.
 */
export class AsyncActionStore {
  private state: AsyncActionState = IDLE;
  private readonly listeners = new Set<() => void>();
  private pending = 0;

  /** @param describe words a rejection for the user (default `errorText`: upload paths hidden). */
  constructor(private readonly describe: (e: unknown) => string = errorText) {}

  /** The current state (the same object until it changes). */
  readonly getSnapshot = (): AsyncActionState => this.state;

  /** Calls `listener` after every change until the returned function is called. */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };

  /**
   * Runs `action` with `busy` set to `label`. Never rejects: a rejection of `action` becomes the
   * state's `error` and the returned outcome.
   * @param action the work; what must happen only on success goes inside it, after its awaits.
   * @param label shown while it runs (default `'busy'`).
   */
  readonly run = async (action: () => Promise<unknown>, label = 'busy'): Promise<AsyncOutcome> => {
    this.pending++;
    this.set({ busy: label, error: null });
    let outcome: AsyncOutcome;
    try {
      await action();
      outcome = { ok: true };
    } catch (e) {
      outcome = { ok: false, error: this.describe(e) };
    }
    this.pending--;
    this.set({
      busy: this.pending > 0 ? this.state.busy : null,
      error: outcome.ok ? this.state.error : outcome.error,
    });
    return outcome;
  };

  /** Shows (or with null clears) a message that did not come from `run`, e.g. a failed list. */
  readonly setError = (error: string | null): void => this.set({ ...this.state, error });

  private set(next: AsyncActionState): void {
    if (next.busy === this.state.busy && next.error === this.state.error) return;
    this.state = next;
    for (const l of [...this.listeners]) l();
  }
}

/** What {@link useAsyncAction} returns: the state plus the store's `run` and `setError`. */
export interface AsyncAction extends AsyncActionState {
  run: AsyncActionStore['run'];
  setError: AsyncActionStore['setError'];
}

/**
 * A busy/error state for the component's engine calls: `const { busy, error, run } =
 * useAsyncAction(); … run(() => conn.models.use(id), 'Using…')`. One store per component
 * instance; `run` and `setError` are stable across renders.
 */
export function useAsyncAction(): AsyncAction {
  const [store] = useState(() => new AsyncActionStore());
  const state = useSyncExternalStore(store.subscribe, store.getSnapshot);
  return { ...state, run: store.run, setError: store.setError };
}
