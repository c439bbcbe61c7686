/**
 * Electron main process: a thin shell. Single instance, a hardened window, every request that is
 * not the app's own content blocked at the session level, navigation and new windows denied,
 * permissions limited to microphone/display capture. The engine and the renderer's views arrive
 * with the desktop-app issue; this shell only hosts the window.
 */
import { app, BrowserWindow, session } from 'electron';
import { join } from 'node:path';

import { CONTENT_SECURITY_POLICY, isAppUrl, isPermissionAllowed, windowOptions } from './security.ts';

const devServer = process.env.CALLSCOPE_DEV_SERVER;

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
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow(windowOptions(join(import.meta.dirname, 'preload.cjs')));
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, devServer)) event.preventDefault();
  });
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
    createWindow();
  });
  app.on('window-all-closed', () => app.quit());
}
