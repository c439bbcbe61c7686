/**
 * Messages between Electron main and the engine's utilityProcess: RPC envelopes tagged with the
 * renderer (webContents id) they belong to, a peer-closed notice, a shutdown request, and a
 * renderer's browser-capture MessagePort (transferred with the message) for a live session. Validated
 * with zod on receipt on both sides.
 */
import { z } from 'zod';

import { RpcMessageSchema } from '../../src-shared/contracts/transport.ts';

/** A live session id (`crypto.randomUUID()`). */
export const SESSION_ID = z.string().regex(/^[a-f0-9-]{36}$/);

export const EngineMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('capture-port'), sessionId: SESSION_ID }),
  z.object({ type: z.literal('rpc'), peer: z.number().int(), msg: RpcMessageSchema }),
  z.object({ type: z.literal('peer-closed'), peer: z.number().int() }),
  /** A file the user picked or dropped (sent by the preload, sender checked by main). */
  z.object({ type: z.literal('file-grant'), path: z.string().min(1).max(4096) }),
  z.object({ type: z.literal('shutdown') }),
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('fatal'), message: z.string() }),
]);
export type EngineMessage = z.infer<typeof EngineMessageSchema>;
