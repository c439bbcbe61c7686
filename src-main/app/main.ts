/**
 * Electron main process: a thin shell. Single instance, a hardened window, every request that is
 * not the app's own content blocked at the session level, navigation and new windows denied,
 * permissions limited to microphone/display capture; `getDisplayMedia` is answered with the first
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
  session,
  type UtilityProcess,
  utilityProcess,
  webContents,
} from 'electron';
import { join } from 'node:path';

import { CAPTURE_PORT_CHANNEL } from '../../src-shared/contracts/capture.ts';
import { ALLOWED_CHANNELS, RPC_CHANNEL } from '../../src-shared/contracts/channels.ts';
import { RpcMessageSchema } from '../../src-shared/contracts/transport.ts';
import { type EngineMessage, EngineMessageSchema, SESSION_ID } from './engine-protocol.ts';
import { loopbackConfig } from './loopback.ts';
import {
  CONTENT_SECURITY_POLICY,
  isAllowedChannel,
  isAppUrl,
  isPermissionAllowed,
  isTrustedSender,
  windowOptions,
} from './security.ts';

const devServer = process.env.CALLSCOPE_DEV_SERVER;
/** How long quitting waits for the engine to finish pending writes, ms. */
const SHUTDOWN_GRACE_MS = 10_000;

let engine: UtilityProcess | null = null;
let engineExited = false;

const loopback = loopbackConfig(process.platform, process.getSystemVersion());
if (loopback.enableFeatures.length)
  app.commandLine.appendSwitch('enable-features', loopback.enableFeatures.join(','));
if (loopback.reason) console.error(`callscope: browser capture without system audio: ${loopback.reason}`);

function hardenSession(): void {
  const ses = session.defaultSession;
  ses.webRequest.onBeforeRequest((details, callback) =>
    callback({ cancel: !isAppUrl(details.url, devServer) }),
  );
  ses.webRequest.onHeadersReceived((details, callback) =>
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    }),
  );
  ses.setPermissionRequestHandler((wc, permission, callback) =>
    callback(isPermissionAllowed(permission, wc.getURL(), devServer)),
  );
  ses.setPermissionCheckHandler((_wc, permission, origin) =>
    isPermissionAllowed(permission, origin, devServer),
  );
  // getDisplayMedia: the first screen (its picture is dropped by the renderer) + system loopback
  ses.setDisplayMediaRequestHandler((request, callback) => {
    if (!isTrustedSender(request.frame?.url, devServer)) return callback({});
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
      if (!isTrustedSender(event.senderFrame?.url, devServer)) return;
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
    if (
      !isTrustedSender(event.senderFrame?.url, devServer) ||
      !engine ||
      !SESSION_ID.safeParse(sessionId).success
    )
      return port.close();
    const msg: EngineMessage = { type: 'capture-port', sessionId: sessionId as string };
    engine.postMessage(msg, [port]);
  });
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow(windowOptions(join(import.meta.dirname, 'preload.cjs')));
  const id = win.webContents.id;
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, devServer)) event.preventDefault();
  });
  win.webContents.once('destroyed', () =>
    engine?.postMessage({ type: 'peer-closed', peer: id } satisfies EngineMessage),
  );
  win.once('ready-to-show', () => win.show());
  if (devServer) void win.loadURL(devServer);
  else void win.loadFile(join(import.meta.dirname, '..', 'renderer', 'index.html'));
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
    engine = startEngine();
    relayRendererMessages();
    relayCapturePorts();
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
