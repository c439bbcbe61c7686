/**
 * Generic IPC plumbing, written once (STYLE.md 2): `exposeService(server, name, impl)` on the
 * engine side, `proxyService<T>(client, name)` on the UI side, over any {@link Transport}. Calls
 * carry sequence numbers; errors are serialised with their name; a call can be cancelled with an
 * AbortSignal (the implementation reads it with {@link currentCallContext}, never as an argument);
 * services emit typed events to every connected client. No per-channel glue. Pure TypeScript.
 *
 * Security: a service is exposed through its contract (src-shared/contracts), not its class. Only
 * the methods the contract lists are callable, each with its zod argument tuple; a private helper,
 * a getter or an inherited method of the implementation is "unknown method" (code
 * `unknown_method`), whatever its name.
 */
import { z } from 'zod';

import {
  type RpcMessage,
  RpcMessageSchema,
  type SerializedError,
  type ServiceContract,
  type Transport,
} from '../contracts/transport.ts';
import { AppError, type ErrorDetails } from '../errors.ts';

/**
 * Error thrown on the client for a failed remote call; keeps the remote error's name, code and
 * details. `code` is one of src-shared/errors.ts `ERROR_CODES` when the engine threw an
 * `AppError` (test it with `isErrorCode`); a peer of another version may send others.
 */
export class RemoteError extends Error {
  readonly code: string | undefined;
  readonly details: ErrorDetails | undefined;
  constructor(e: SerializedError) {
    super(e.message);
    this.name = e.name;
    this.code = e.code;
    this.details = e.details;
  }
}

/** The error a cancelled call rejects with (name `AbortError`, like `fetch`). */
export class CancelledError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'AbortError';
  }
}

/** What an exposed method may learn about the call it serves (see {@link currentCallContext}). */
export interface CallContext {
  /** Aborted when the caller cancels or disconnects. */
  signal: AbortSignal;
}

export type { ServiceContract };

let activeContext: CallContext | null = null;

/**
 * The {@link CallContext} of the RPC call being served, or null outside one. Valid during the
 * synchronous start of an exposed method (read it before the first `await`). The context is never
 * passed as an argument: an implementation with an optional trailing parameter (`download(req,
 * url?)`) cannot receive it by mistake (issue 15, point 1).
 */
export function currentCallContext(): CallContext | null {
  return activeContext;
}

/**
 * Serialises any thrown value: name and message of an Error, its string `code` (an
 * {@link AppError}'s, or another library's), and an {@link AppError}'s `details`.
 */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const details = err instanceof AppError ? err.details : undefined;
    return {
      name: err.name,
      message: err.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(details ? { details } : {}),
    };
  }
  return { name: 'Error', message: String(err) };
}

type Handler = (args: unknown[], ctx: CallContext) => Promise<unknown>;

/**
 * Engine side: dispatches calls from any number of connected transports to exposed services and
 * broadcasts events to all of them.
 */
export class RpcServer {
  private readonly services = new Map<string, Map<string, Handler>>();
  private readonly peers = new Set<Transport>();
  /** Called for calls slower than `slowCallMs` (default 2 s) — slow-call logging. */
  onSlowCall: ((service: string, method: string, ms: number) => void) | null = null;
  slowCallMs = 2000;

  /** Registers a service's methods by name. @throws Error when the name is taken. */
  register(name: string, handlers: Map<string, Handler>): void {
    if (this.services.has(name)) throw new Error(`service ${name} already exposed`);
    this.services.set(name, handlers);
  }

  /** Serves one peer until it closes. @returns a function that disconnects it. */
  connect(transport: Transport): () => void {
    const inflight = new Map<number, AbortController>();
    this.peers.add(transport);
    const off = transport.onMessage((raw) => {
      const parsed = RpcMessageSchema.safeParse(raw);
      if (!parsed.success) return;
      const msg = parsed.data;
      if (msg.t === 'cancel') inflight.get(msg.id)?.abort();
      else if (msg.t === 'call') void this.dispatch(transport, msg, inflight);
    });
    const disconnect = (): void => {
      off();
      offClose?.();
      this.peers.delete(transport);
      for (const c of inflight.values()) c.abort();
      inflight.clear();
    };
    const offClose = transport.onClose?.(disconnect);
    return disconnect;
  }

  /** Sends an event to every connected peer. */
  emit(service: string, event: string, payload: unknown): void {
    for (const p of this.peers) {
      try {
        p.send({ t: 'event', service, event, payload });
      } catch {
        // a peer that cannot receive any more is dropped when its transport closes
      }
    }
  }

  private async dispatch(
    transport: Transport,
    msg: Extract<RpcMessage, { t: 'call' }>,
    inflight: Map<number, AbortController>,
  ): Promise<void> {
    const ctrl = new AbortController();
    inflight.set(msg.id, ctrl);
    const t0 = Date.now();
    let reply: RpcMessage;
    try {
      const handler = this.services.get(msg.service)?.get(msg.method);
      if (!handler) throw new AppError('unknown_method', `unknown method ${msg.service}.${msg.method}`);
      const value = await handler(msg.args, { signal: ctrl.signal });
      if (ctrl.signal.aborted) throw new CancelledError();
      reply = { t: 'result', id: msg.id, value };
    } catch (err) {
      reply = {
        t: 'error',
        id: msg.id,
        error: serializeError(ctrl.signal.aborted ? new CancelledError() : err),
      };
    } finally {
      inflight.delete(msg.id);
    }
    const ms = Date.now() - t0;
    if (ms > this.slowCallMs) this.onSlowCall?.(msg.service, msg.method, ms);
    try {
      transport.send(reply);
    } catch {
      // peer went away
    }
  }
}

/**
 * The methods of a contract that are callable: its own enumerable keys, each a zod tuple.
 * @throws Error naming the method when an entry is not a `z.tuple` (a contract method without an
 *   argument schema is a programming error, caught at registration and by the contract tests).
 */
export function contractMethods(name: string, contract: object): string[] {
  const keys = Object.keys(contract);
  for (const key of keys) {
    const schema = (contract as Record<string, unknown>)[key];
    if (!(schema instanceof z.ZodTuple))
      throw new Error(`service ${name}: contract method ${key} has no z.tuple argument schema`);
  }
  return keys;
}

/**
 * Exposes service `name`: exactly the methods of `contract` (one zod argument tuple per method,
 * src-shared/contracts), implemented by `impl`. Nothing else of `impl` is callable. Arguments are
 * validated before the call (a failure rejects with name `ValidationError`, code
 * `invalid_arguments`) and passed as the
 * tuple's items only — missing optional items are `undefined`, never the call context (read it with
 * {@link currentCallContext}).
 * @throws Error when a contract method has no schema or `impl` does not implement it.
 */
export function exposeService<T extends object>(
  server: RpcServer,
  name: string,
  impl: T,
  contract: ServiceContract<T>,
): void {
  const handlers = new Map<string, Handler>();
  for (const key of contractMethods(name, contract)) {
    const fn = (impl as Record<string, unknown>)[key];
    if (typeof fn !== 'function')
      throw new Error(`service ${name}: contract method ${key} is not implemented`);
    const schema = (contract as unknown as Record<string, z.ZodTuple>)[key]!;
    const arity = schema.def.items.length;
    handlers.set(key, async (args, ctx) => {
      const r = schema.safeParse(args);
      if (!r.success) {
        const issue = r.error.issues[0];
        throw new AppError(
          'invalid_arguments',
          `invalid arguments to ${name}.${key}: ${issue?.path.join('.')} ${issue?.message}`,
          { name: 'ValidationError' },
        );
      }
      const checked: unknown[] = Array.from({ length: arity }, (_v, i) => (r.data as unknown[])[i]);
      // the context is visible only while the method runs synchronously (nested calls restore it)
      const outer = activeContext;
      activeContext = ctx;
      let pending: unknown;
      try {
        pending = (fn as (...a: unknown[]) => unknown).apply(impl, checked);
      } finally {
        activeContext = outer;
      }
      return await pending;
    });
  }
  server.register(name, handlers);
}

/** UI side: issues calls, pairs results, forwards events to subscribers. */
export class RpcClient {
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();

  constructor(private readonly transport: Transport) {
    transport.onMessage((raw) => {
      const parsed = RpcMessageSchema.safeParse(raw);
      if (!parsed.success) return;
      const msg = parsed.data;
      if (msg.t === 'result' || msg.t === 'error') {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.t === 'result') p.resolve(msg.value);
        else
          p.reject(
            msg.error.name === 'AbortError'
              ? new CancelledError(msg.error.message)
              : new RemoteError(msg.error),
          );
      } else if (msg.t === 'event') {
        for (const cb of this.listeners.get(`${msg.service}.${msg.event}`) ?? []) cb(msg.payload);
      }
    });
    transport.onClose?.(() => {
      for (const p of this.pending.values())
        p.reject(new RemoteError({ name: 'DisconnectedError', message: 'the engine connection closed' }));
      this.pending.clear();
    });
  }

  /** Calls `service.method(...args)`; rejects with {@link CancelledError} when `signal` aborts. */
  call(service: string, method: string, args: unknown[], signal?: AbortSignal): Promise<unknown> {
    if (signal?.aborted) return Promise.reject(new CancelledError());
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.pending.delete(id)) return;
        this.transport.send({ t: 'cancel', id });
        reject(new CancelledError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = (): void => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        resolve: (v) => (done(), resolve(v)),
        reject: (e) => (done(), reject(e)),
      });
      this.transport.send({ t: 'call', id, service, method, args });
    });
  }

  /** Subscribes to one event of a service. @returns the unsubscribe function. */
  subscribe(service: string, event: string, cb: (payload: unknown) => void): () => void {
    const key = `${service}.${event}`;
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(cb);
    return () => set.delete(cb);
  }
}

/** A service's client-side type: its methods with the same arguments and results. */
export type Remote<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => Promise<infer R> ? (...args: A) => Promise<R> : never;
};

/**
 * A typed proxy of service `name`: every property is a method that calls the remote one.
 * @param opts.signal cancels every call made through this proxy.
 */
export function proxyService<T>(
  client: RpcClient,
  name: string,
  opts: { signal?: AbortSignal } = {},
): Remote<T> {
  return new Proxy({} as Remote<T>, {
    get(_target, prop) {
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      return (...args: unknown[]) => client.call(name, prop, args, opts.signal);
    },
  });
}

/** Typed subscription to a service event. `E` maps event names to payload types. */
export function subscribeEvent<E, K extends keyof E & string>(
  client: RpcClient,
  service: string,
  event: K,
  cb: (payload: E[K]) => void,
): () => void {
  return client.subscribe(service, event, cb as (p: unknown) => void);
}

/**
 * Two connected in-memory transports (tests, in-process use). Messages are delivered
 * asynchronously and structured-cloned, like a real process boundary.
 */
export function createMemoryTransportPair(): [Transport & { close(): void }, Transport & { close(): void }] {
  const make = (): {
    t: Transport & { close(): void };
    receivers: Set<(m: RpcMessage) => void>;
    closers: Set<() => void>;
  } => {
    const receivers = new Set<(m: RpcMessage) => void>();
    const closers = new Set<() => void>();
    const t = {
      send: (_m: RpcMessage) => undefined as void,
      onMessage: (cb: (m: RpcMessage) => void) => (receivers.add(cb), () => receivers.delete(cb)),
      onClose: (cb: () => void) => (closers.add(cb), () => closers.delete(cb)),
      close: () => undefined as void,
    };
    return { t, receivers, closers };
  };
  const a = make();
  const b = make();
  let closed = false;
  const deliver = (to: typeof a) => (m: RpcMessage) => {
    if (closed) throw new Error('transport closed');
    const copy = structuredClone(m);
    queueMicrotask(() => {
      if (!closed) for (const r of to.receivers) r(copy);
    });
  };
  const close = (): void => {
    if (closed) return;
    closed = true;
    for (const c of [...a.closers, ...b.closers]) c();
  };
  a.t.send = deliver(b);
  b.t.send = deliver(a);
  a.t.close = close;
  b.t.close = close;
  return [a.t, b.t];
}
