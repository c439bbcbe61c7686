/**
 * Messages between Electron main and the engine's utilityProcess: RPC envelopes tagged with the
 * renderer (webContents id) they belong to, a peer-closed notice and a shutdown request. Validated
 * with zod on receipt on both sides.
 */
import { z } from 'zod';

import { RpcMessageSchema } from '../../src-shared/contracts/transport.ts';

export const EngineMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('rpc'), peer: z.number().int(), msg: RpcMessageSchema }),
  z.object({ type: z.literal('peer-closed'), peer: z.number().int() }),
  z.object({ type: z.literal('shutdown') }),
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('fatal'), message: z.string() }),
]);
export type EngineMessage = z.infer<typeof EngineMessageSchema>;
