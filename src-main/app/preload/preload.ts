/**
 * Preload: the only bridge between the sandboxed renderer and the main process (STYLE.md 3).
 * Exposes a frozen object with exactly three things: send an RPC envelope on the one allow-listed
 * channel, subscribe to envelopes from it, and resolve a dropped file's local path. No raw
 * ipcRenderer, no other channel; main re-checks the channel and the sender frame.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';

import { ALLOWED_CHANNELS, RPC_CHANNEL } from '../../../src-shared/contracts/channels.ts';

type Listener = (msg: unknown) => void;
const listeners = new Set<Listener>();

if (ALLOWED_CHANNELS.includes(RPC_CHANNEL)) {
  ipcRenderer.on(RPC_CHANNEL, (_event, msg: unknown) => {
    for (const cb of listeners) cb(msg);
  });
}

contextBridge.exposeInMainWorld(
  'callscope',
  Object.freeze({
    bridgeVersion: 2,
    rpc: Object.freeze({
      send: (msg: unknown) => ipcRenderer.send(RPC_CHANNEL, msg),
      onMessage: (cb: Listener) => {
        listeners.add(cb);
        return () => void listeners.delete(cb);
      },
    }),
    pathForFile: (file: File) => webUtils.getPathForFile(file),
  }),
);
