/**
 * The renderer's single typed entry to the engine (STYLE.md 4). Picks the transport: the desktop
 * preload's allow-listed bridge (`window.callscope`) or, in a browser, the loopback web host's
 * WebSocket with the per-run token from the page address. Everything else in the renderer talks
 * to {@link Connection}, never to `window` or a socket.
 */
import type { AnalysisResult } from '../src-shared/contracts/analysis.ts';
import type { HistoryService } from '../src-shared/contracts/history.ts';
import {
  SERVICE,
  type AnalysisEvents,
  type AnalysisService,
  type AppService,
  type FileRef,
  type LibraryEvents,
  type LibraryService,
  type LiveControlService,
  type LiveUiEvents,
  type ModelsEvents,
  type ModelsService,
} from '../src-shared/contracts/services.ts';
import {
  type RpcMessage,
  TOKEN_PARAM,
  type Transport,
  UPLOAD_PATH,
  WS_PATH,
} from '../src-shared/contracts/transport.ts';
import { proxyService, type Remote, RpcClient, subscribeEvent } from '../src-shared/ipc/rpc.ts';
import { type CaptureSink, openMessagePortSink, openWebSocketSink } from './capture/sinks.ts';

/** What the desktop preload exposes on `window.callscope`. */
export interface CallscopeBridge {
  readonly bridgeVersion: number;
  readonly rpc: { send(msg: RpcMessage): void; onMessage(cb: (msg: RpcMessage) => void): () => void };
  /** The local path of a dropped/picked file (Electron `webUtils.getPathForFile`). */
  pathForFile(file: File): string;
}

/** The bridge, or null when the page runs outside the desktop shell. */
export function getBridge(): CallscopeBridge | null {
  const w = window as unknown as { callscope?: CallscopeBridge };
  return w.callscope?.rpc ? w.callscope : null;
}

/** Typed services and events, whichever transport is in front. */
export interface Connection {
  kind: 'electron' | 'web';
  analysis: Remote<AnalysisService>;
  library: Remote<LibraryService>;
  history: Remote<HistoryService>;
  app: Remote<AppService>;
  live: Remote<LiveControlService>;
  models: Remote<ModelsService>;
  onModels<K extends keyof ModelsEvents & string>(event: K, cb: (e: ModelsEvents[K]) => void): () => void;
  onLive<K extends keyof LiveUiEvents & string>(event: K, cb: (e: LiveUiEvents[K]) => void): () => void;
  onJob(cb: (job: AnalysisEvents['job']) => void): () => void;
  onLibraryChanged(cb: (e: LibraryEvents['changed']) => void): () => void;
  /** Makes a dropped or picked file readable by the engine (upload on the web host). */
  fileRef(file: File): Promise<FileRef>;
  /** Registers a callback for losing the engine connection. */
  onClose(cb: () => void): void;
  /**
   * Opens the stream that carries browser-capture frames to a live session's engine source: the
   * web host's `/capture` WebSocket, or a MessagePort the preload hands to the engine process.
   */
  openCaptureSink(sessionId: string): Promise<CaptureSink>;
}

function services(
  client: RpcClient,
  kind: Connection['kind'],
  fileRef: Connection['fileRef'],
  onClose: Connection['onClose'],
  openCaptureSink: Connection['openCaptureSink'],
): Connection {
  return {
    kind,
    openCaptureSink,
    analysis: proxyService<AnalysisService>(client, SERVICE.analysis),
    library: proxyService<LibraryService>(client, SERVICE.library),
    history: proxyService<HistoryService>(client, SERVICE.history),
    app: proxyService<AppService>(client, SERVICE.app),
    live: proxyService<LiveControlService>(client, SERVICE.live),
    models: proxyService<ModelsService>(client, SERVICE.models),
    onModels: (event, cb) => subscribeEvent<ModelsEvents, typeof event>(client, SERVICE.models, event, cb),
    onLive: (event, cb) => subscribeEvent<LiveUiEvents, typeof event>(client, SERVICE.live, event, cb),
    onJob: (cb) => subscribeEvent<AnalysisEvents, 'job'>(client, SERVICE.analysis, 'job', cb),
    onLibraryChanged: (cb) =>
      subscribeEvent<LibraryEvents, 'changed'>(client, SERVICE.library, 'changed', cb),
    fileRef,
    onClose,
  };
}

/**
 * A browser WebSocket as a transport; resolves once open, rejects when it fails or closes first.
 * `whenClosed` runs its callback at once when the socket has already closed (a socket can close
 * between opening and the caller registering for it).
 */
function openSocket(url: string): Promise<Transport & { whenClosed: (cb: () => void) => void }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const closed = new Set<() => void>();
    let isClosed = false;
    ws.addEventListener('close', () => {
      isClosed = true;
      reject(new Error('the engine closed the connection'));
      closed.forEach((c) => c());
    });
    ws.addEventListener('error', () => reject(new Error('cannot reach the Callscope engine')), {
      once: true,
    });
    ws.addEventListener(
      'open',
      () =>
        resolve({
          whenClosed: (cb) => (isClosed ? cb() : void closed.add(cb)),
          send: (m) => ws.send(JSON.stringify(m)),
          onMessage: (cb) => {
            const h = (e: MessageEvent): void => {
              if (typeof e.data === 'string') cb(JSON.parse(e.data) as RpcMessage);
            };
            ws.addEventListener('message', h);
            return () => ws.removeEventListener('message', h);
          },
          onClose: (cb) => (closed.add(cb), () => closed.delete(cb)),
        }),
      { once: true },
    );
  });
}

/** Connects to the engine through the desktop bridge or the web host. */
export async function connect(): Promise<Connection> {
  const bridge = getBridge();
  if (bridge) {
    const transport: Transport = {
      send: (m) => bridge.rpc.send(m),
      onMessage: (cb) => bridge.rpc.onMessage(cb),
    };
    const client = new RpcClient(transport);
    return services(
      client,
      'electron',
      async (file) => ({ kind: 'path', path: bridge.pathForFile(file) }),
      () => undefined,
      async (sessionId) => openMessagePortSink((m, o, t) => window.postMessage(m, o, t), sessionId),
    );
  }
  const token = new URLSearchParams(location.search).get(TOKEN_PARAM) ?? '';
  const t = await openSocket(`ws://${location.host}${WS_PATH}?${TOKEN_PARAM}=${encodeURIComponent(token)}`);
  const client = new RpcClient(t);
  const fileRef = async (file: File): Promise<FileRef> => {
    const res = await fetch(`${UPLOAD_PATH}?${TOKEN_PARAM}=${encodeURIComponent(token)}`, {
      method: 'POST',
      body: file,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    if (!res.ok) throw new Error(`upload of ${file.name} failed: ${await res.text()}`);
    const { uploadId } = (await res.json()) as { uploadId: string };
    return { kind: 'upload', uploadId, name: file.name };
  };
  return services(
    client,
    'web',
    fileRef,
    (cb) => t.whenClosed(cb),
    (sessionId) => openWebSocketSink(location.host, token, sessionId),
  );
}

/** Speakers of a result ordered by talk time, for display. */
export function speakersByTalkTime(result: AnalysisResult): AnalysisResult['speakers'] {
  return [...result.speakers].sort((a, b) => b.speechS - a.speechS);
}
