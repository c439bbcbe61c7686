/**
 * Security configuration of the Electron shell, as pure functions so they are unit-tested without
 * an Electron binary: window web preferences, the Content-Security-Policy, and the request,
 * navigation and permission policies (Electron security checklist,
 * https://www.electronjs.org/docs/latest/tutorial/security).
 */
import type { BrowserWindowConstructorOptions } from 'electron';

/** The renderer's Content-Security-Policy: nothing but the app's own files. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; media-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** BrowserWindow options: sandboxed, context-isolated renderer without Node. */
export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Callscope',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      spellcheck: false,
    },
  };
}

/** Whether a URL is the app's own content (packaged files or the dev server on loopback). */
export function isAppUrl(url: string, devServer?: string): boolean {
  if (url.startsWith('file://')) return true;
  if (url.startsWith('devtools://')) return true;
  if (devServer && url.startsWith(devServer)) {
    const host = new URL(url).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
  }
  return false;
}

/** Permissions the renderer may get: microphone and display/system-audio capture only. */
export function isPermissionAllowed(permission: string, requestingUrl: string, devServer?: string): boolean {
  return (permission === 'media' || permission === 'display-capture') && isAppUrl(requestingUrl, devServer);
}

/** Whether a preload/IPC channel is on the allow-list (src-shared/contracts/channels.ts). */
export function isAllowedChannel(channel: string, allowed: readonly string[]): boolean {
  return allowed.includes(channel);
}

/**
 * Whether an IPC message comes from a frame showing the app's own content: main re-checks the
 * sender frame of every message (a navigated or injected frame gets nothing).
 * @param frameUrl `event.senderFrame.url`, or undefined when the frame is gone.
 */
export function isTrustedSender(frameUrl: string | undefined, devServer?: string): boolean {
  return frameUrl !== undefined && frameUrl !== '' && isAppUrl(frameUrl, devServer);
}
