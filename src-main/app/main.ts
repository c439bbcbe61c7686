/**
 * Electron main process: a thin shell. Single instance, a hardened window showing the renderer from
 * the privileged `app://callscope` scheme (never file://), every request that is not the app's own
 * content blocked at the session level, all navigation and new windows denied, permissions limited
 * to microphone/display capture for the app's origin in the top frame; `getDisplayMedia` is answered with the first
 * screen and, where the platform has it, a loopback of the system audio (loopback.ts) — the
 * renderer drops the picture. The engine runs in a utilityProcess
 * (engine-process.ts); main only relays RPC envelopes between it and trusted renderer frames on
 * the one allow-listed channel, hands a renderer's capture MessagePort to the engine (browser
 * capture frames then flow renderer → engine without main), and on quit lets the engine finish pending writes first.
 */
import {
  app,
  BrowserWindow,
  desktopCapturer,
  ipcMain,
  protocol,
  session,
  type UtilityProcess,
  utilityProcess,
  webContents,
} from 'electron';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { CAPTURE_PORT_CHANNEL } from '../../src-shared/contracts/capture.ts';
import { ALLOWED_CHANNELS, FILE_GRANT_CHANNEL, RPC_CHANNEL } from '../../src-shared/contracts/channels.ts';
import { RpcMessageSchema } from '../../src-shared/contracts/transport.ts';
import { type EngineMessage, EngineMessageSchema, SESSION_ID } from './engine-protocol.ts';
import { loopbackConfig } from './loopback.ts';
import {
  APP_INDEX_URL,
  APP_SCHEME,
  APP_SCHEME_PRIVILEGES,
  CONTENT_SECURITY_POLICY,
  isAllowedChannel,
  isAllowedRequest,
  isNavigationAllowed,
  isPermissionAllowed,
  isTrustedSender,
  resolveAppRequest,
  windowOptions,
} from './security.ts';

const devServer = process.env.CALLSCOPE_DEV_SERVER;
/** How long quitting waits for the engine to finish pending writes, ms. */
const SHUTDOWN_GRACE_MS = 10_000;

let engine: UtilityProcess | null = null;
let engineExited = false;

// before app ready: app:// is a standard, secure origin of its own
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);

const loopback = loopbackConfig(process.platform, process.getSystemVersion());
if (loopback.enableFeatures.length)
  app.commandLine.appendSwitch('enable-features', loopback.enableFeatures.join(','));
if (loopback.reason) console.error(`callscope: browser capture without system audio: ${loopback.reason}`);

/** Serves the built renderer on app://callscope/ (files of dist/renderer only; 404 otherwise). */
function serveAppProtocol(): void {
  const rendererDir = join(import.meta.dirname, '..', 'renderer');
  protocol.handle(APP_SCHEME, async (request) => {
    const hit = resolveAppRequest(request.url, rendererDir);
    if (!hit) return new Response('not found', { status: 404 });
    try {
      return new Response(await readFile(hit.file), {
        headers: { 'Content-Type': hit.type, 'X-Content-Type-Options': 'nosniff' },
      });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
}

function hardenSession(): void {
  const ses = session.defaultSession;
  ses.webRequest.onBeforeRequest((details, callback) =>
    callback({ cancel: !isAllowedRequest(details.url, devServer) }),
  );
  ses.webRequest.onHeadersReceived((details, callback) =>
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    }),
  );
  ses.setPermissionRequestHandler((_wc, permission, callback, details) =>
    callback(isPermissionAllowed(permission, details.requestingUrl, details.isMainFrame, devServer)),
  );
  ses.setPermissionCheckHandler((_wc, permission, _origin, details) =>
    isPermissionAllowed(permission, details.requestingUrl ?? '', details.isMainFrame, devServer),
  );
  // getDisplayMedia: the first screen (its picture is dropped by the renderer) + system loopback
  ses.setDisplayMediaRequestHandler((request, callback) => {
    if (!isTrustedSender(request.frame, devServer)) return callback({});
    desktopCapturer
      .getSources({ types: ['screen'] })
      .then(([video]) => {
        if (!video) return callback({});
        callback(loopback.audio && request.audioRequested ? { video, audio: loopback.audio } : { video });
      })
      .catch(() => callback({}));
  });
}

function startEngine(): UtilityProcess {
  const child = utilityProcess.fork(join(import.meta.dirname, 'engine.js'), [], {
    serviceName: 'Callscope engine',
    env: {
      ...process.env,
      CALLSCOPE_DB: process.env.CALLSCOPE_DB ?? join(app.getPath('userData'), 'callscope.db'),
    },
    stdio: 'inherit',
  });
  child.on('message', (raw: unknown) => {
    const parsed = EngineMessageSchema.safeParse(raw);
    if (!parsed.success) return;
    const m = parsed.data;
    if (m.type === 'rpc') {
      const wc = webContents.fromId(m.peer);
      if (wc && !wc.isDestroyed()) wc.send(RPC_CHANNEL, m.msg);
    } else if (m.type === 'fatal') console.error(`callscope engine failed to start: ${m.message}`);
  });
  child.on('exit', () => {
    engineExited = true;
  });
  return child;
}

function relayRendererMessages(): void {
  for (const channel of ALLOWED_CHANNELS) {
    if (!isAllowedChannel(channel, ALLOWED_CHANNELS)) continue;
    ipcMain.on(channel, (event, raw: unknown) => {
      if (!isTrustedSender(event.senderFrame, devServer)) return;
      const parsed = RpcMessageSchema.safeParse(raw);
      if (!parsed.success || !engine) return;
      const msg: EngineMessage = { type: 'rpc', peer: event.sender.id, msg: parsed.data };
      engine.postMessage(msg);
    });
  }
}

/** A renderer's browser-capture MessagePort (posted by the preload) → the engine process. */
function relayCapturePorts(): void {
  ipcMain.on(CAPTURE_PORT_CHANNEL, (event, sessionId: unknown) => {
    const [port] = event.ports;
    if (!port) return;
    if (!isTrustedSender(event.senderFrame, devServer) || !engine || !SESSION_ID.safeParse(sessionId).success)
      return port.close();
    const msg: EngineMessage = { type: 'capture-port', sessionId: sessionId as string };
    engine.postMessage(msg, [port]);
  });
}

/**
 * A file the user picked or dropped (reported by the preload, which resolves real `File`s only):
 * forwarded to the engine, which opens path references to such files only (file-grants.ts).
 */
function relayFileGrants(): void {
  ipcMain.on(FILE_GRANT_CHANNEL, (event, path: unknown) => {
    if (!isTrustedSender(event.senderFrame, devServer) || !engine) return;
    if (typeof path !== 'string' || path.length === 0 || path.length > 4096) return;
    engine.postMessage({ type: 'file-grant', path } satisfies EngineMessage);
  });
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow(windowOptions(join(import.meta.dirname, 'preload.cjs')));
  const id = win.webContents.id;
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  // one page: every navigation (links, dropped files, location changes, redirects) is refused
  win.webContents.on('will-navigate', (event, url) => {
    if (!isNavigationAllowed(url)) event.preventDefault();
  });
  win.webContents.on('will-redirect', (event, url) => {
    if (!isNavigationAllowed(url)) event.preventDefault();
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  win.webContents.once('destroyed', () =>
    engine?.postMessage({ type: 'peer-closed', peer: id } satisfies EngineMessage),
  );
  win.once('ready-to-show', () => win.show());
  if (devServer) void win.loadURL(devServer);
  else void win.loadURL(APP_INDEX_URL);
  return win;
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const [win] = BrowserWindow.getAllWindows();
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  void app.whenReady().then(() => {
    hardenSession();
    serveAppProtocol();
    engine = startEngine();
    relayRendererMessages();
    relayCapturePorts();
    relayFileGrants();
    createWindow();
  });
  app.on('window-all-closed', () => app.quit());
  // graceful shutdown: the engine cancels the running analysis and finishes pending writes
  app.on('before-quit', (event) => {
    if (!engine || engineExited) return;
    event.preventDefault();
    const child = engine;
    engine = null;
    const timer = setTimeout(() => child.kill(), SHUTDOWN_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      engineExited = true;
      app.quit();
    });
    child.postMessage({ type: 'shutdown' } satisfies EngineMessage);
  });
}
