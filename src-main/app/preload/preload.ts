/**
 * Preload: the only bridge between the sandboxed renderer and the main process (STYLE.md 3).
 * Exposes a frozen object with exactly three things: send an RPC envelope on the one allow-listed
 * channel, subscribe to envelopes from it, and resolve a dropped file's local path (which also
 * grants the engine access to that file, on {@link FILE_GRANT_CHANNEL}). No raw
 * ipcRenderer, no other channel; main re-checks the channel and the sender frame. One more path,
 * outside the exposed object: a browser-capture MessagePort the page posts to its own window
 * (`{type: CAPTURE_PORT_MESSAGE, sessionId}` with exactly one port) is forwarded to main on
 * {@link CAPTURE_PORT_CHANNEL} (MessagePorts cannot cross the context bridge as arguments).
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';

import { CAPTURE_PORT_CHANNEL, CAPTURE_PORT_MESSAGE } from '../../../src-shared/contracts/capture.ts';
import { ALLOWED_CHANNELS, FILE_GRANT_CHANNEL, RPC_CHANNEL } from '../../../src-shared/contracts/channels.ts';

type Listener = (msg: unknown) => void;
const listeners = new Set<Listener>();

if (ALLOWED_CHANNELS.includes(RPC_CHANNEL)) {
  ipcRenderer.on(RPC_CHANNEL, (_event, msg: unknown) => {
    for (const cb of listeners) cb(msg);
  });
}

// the page's window (the preload is typechecked with the Node lib, without DOM types)
type PortTransfer = Parameters<typeof ipcRenderer.postMessage>[2];
interface PageMessage {
  source: unknown;
  data: { type?: unknown; sessionId?: unknown } | null;
  ports: NonNullable<PortTransfer>;
}
const page = globalThis as unknown as {
  addEventListener(type: 'message', cb: (e: PageMessage) => void): void;
};
page.addEventListener('message', (e) => {
  const d = e.data;
  if (e.source !== page || d?.type !== CAPTURE_PORT_MESSAGE || e.ports.length !== 1) return;
  if (typeof d.sessionId !== 'string' || d.sessionId.length > 64) return;
  ipcRenderer.postMessage(CAPTURE_PORT_CHANNEL, d.sessionId, [e.ports[0]]);
});

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
    // the path of a real picked/dropped file (a File built by the page has none) is also reported
    // to main: the engine opens path references to such files only (src-main/app/file-grants.ts)
    pathForFile: (file: File) => {
      const path = webUtils.getPathForFile(file);
      if (path) ipcRenderer.send(FILE_GRANT_CHANNEL, path);
      return path;
    },
  }),
);
