/**
 * The wire contract every transport carries (Electron IPC, WebSocket on 127.0.0.1, in-memory):
 * one discriminated-union envelope for calls, results, cancellation and events, with sequence
 * numbers and serialised errors (after Signal `ts/sql/main.main.ts`, VS Code `ProxyChannel`).
 * Envelopes are validated with zod at the receiving side. Pure TypeScript.
 */
import { z } from 'zod';

/**
 * An error as it crosses a process boundary. `name` survives (`AbortError`, `StoreError`, …), and
 * so do an `AppError`'s `code` (src-shared/errors.ts `ERROR_CODES`) and `details`.
 */
export const SerializedErrorSchema = z.object({
  name: z.string().max(200),
  message: z.string().max(10_000),
  code: z.string().max(200).optional(),
  details: z
    .record(z.string().max(200), z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()]))
    .optional(),
});
export type SerializedError = z.infer<typeof SerializedErrorSchema>;

const name = z.string().min(1).max(100);
const seq = z.number().int().nonnegative();

/** One message on the wire. `id` pairs a `call` with its `result` or `error` (and `cancel`). */
export const RpcMessageSchema = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('call'),
    id: seq,
    service: name,
    method: name,
    args: z.array(z.unknown()).max(16),
  }),
  z.object({ t: z.literal('cancel'), id: seq }),
  // `value` is absent on the wire for methods that return nothing (JSON drops undefined)
  z.object({ t: z.literal('result'), id: seq, value: z.unknown().optional() }),
  z.object({ t: z.literal('error'), id: seq, error: SerializedErrorSchema }),
  z.object({ t: z.literal('event'), service: name, event: name, payload: z.unknown() }),
]);
export type RpcMessage = z.infer<typeof RpcMessageSchema>;

/**
 * A bidirectional message pipe. Implementations: in-memory pair (tests, in-process), WebSocket
 * (web host), Electron IPC relayed to the engine's utilityProcess (desktop).
 */
export interface Transport {
  send(msg: RpcMessage): void;
  /** Registers the receiver; returns a function that unregisters it. */
  onMessage(cb: (msg: RpcMessage) => void): () => void;
  /** Registers a callback for the transport going away (socket closed, process exited). */
  onClose?(cb: () => void): () => void;
}

/**
 * A service's contract at run time: one zod argument tuple (`z.tuple([...])`) per method of its
 * interface `T`, no more, no fewer (checked by `satisfies ServiceContract<T>` at compile time and by
 * src-main/security/contracts.test.ts at run time). The RPC layer exposes exactly these methods.
 */
export type ServiceContract<T> = {
  readonly [K in keyof T]-?: z.ZodType<unknown[]>;
};

export { ALLOWED_CHANNELS, RPC_CHANNEL } from './channels.ts';

/** Name of the WebSocket path and the HTTP upload path of the web host. */
export const WS_PATH = '/rpc';
export const UPLOAD_PATH = '/upload';
/** Query parameter carrying the per-run token of the web host. */
export const TOKEN_PARAM = 'token';
