/**
 * Where the renderer's capture frames go: the web host's `/capture` WebSocket (binary frames, JSON
 * control) or, in the desktop app, a MessagePort whose other end the preload hands to main, which
 * transfers it to the engine process. Both behind one {@link CaptureSink}; `src-renderer/bridge.ts`
 * picks one.
 */
import {
  CAPTURE_PORT_MESSAGE,
  CAPTURE_SESSION_PARAM,
  CAPTURE_WS_PATH,
  type CaptureControl,
} from '../../src-shared/contracts/capture.ts';
import { TOKEN_PARAM } from '../../src-shared/contracts/transport.ts';

/** A stream of capture frames to the engine. */
export interface CaptureSink {
  /** Sends one encoded frame (its buffer may be transferred). */
  sendFrame(frame: ArrayBuffer): void;
  sendControl(c: CaptureControl): void;
  /** Closes the stream (the engine ends the capture after the frames already sent). */
  close(): void;
  /** Registers a callback for the engine side closing the stream (with its reason). */
  onClose(cb: (reason: string) => void): void;
}

/**
 * Opens the web host's capture WebSocket for a live session.
 * @param host `location.host` of the web host; @param token its per-run token.
 * @throws Error when the host refuses the connection (bad token, unknown session).
 */
export function openWebSocketSink(host: string, token: string, sessionId: string): Promise<CaptureSink> {
  const q = `${TOKEN_PARAM}=${encodeURIComponent(token)}&${CAPTURE_SESSION_PARAM}=${encodeURIComponent(sessionId)}`;
  const ws = new WebSocket(`ws://${host}${CAPTURE_WS_PATH}?${q}`);
  ws.binaryType = 'arraybuffer';
  const closers = new Set<(reason: string) => void>();
  return new Promise((resolve, reject) => {
    ws.addEventListener('close', (e) => {
      reject(new Error('the engine refused the capture stream'));
      closers.forEach((c) => c(e.reason || `capture stream closed (${e.code})`));
    });
    ws.addEventListener('open', () =>
      resolve({
        sendFrame: (f) => ws.readyState === WebSocket.OPEN && ws.send(f),
        sendControl: (c) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(c)),
        close: () => ws.close(1000, 'capture stopped'),
        onClose: (cb) => void closers.add(cb),
      }),
    );
  });
}

/**
 * Desktop app: a MessageChannel whose second port is posted to the preload (which forwards it to
 * main and on to the engine process, see src-main/app/preload/preload.ts).
 * @param post `window.postMessage` bound to the page's own window.
 */
export function openMessagePortSink(
  post: (message: unknown, targetOrigin: string, transfer: Transferable[]) => void,
  sessionId: string,
): CaptureSink {
  const ch = new MessageChannel();
  post({ type: CAPTURE_PORT_MESSAGE, sessionId }, '*', [ch.port2]);
  const port = ch.port1;
  const closers = new Set<(reason: string) => void>();
  port.addEventListener('close', () => closers.forEach((c) => c('capture stream closed')));
  port.start();
  return {
    sendFrame: (f) => port.postMessage(f, [f]),
    sendControl: (c) => port.postMessage(c),
    close: () => port.close(),
    onClose: (cb) => void closers.add(cb),
  };
}
