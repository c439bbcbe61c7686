/**
 * Security configuration of the Electron shell, as pure functions so they are unit-tested without
 * an Electron binary: window web preferences, the Content-Security-Policy, and the request,
 * navigation and permission policies (Electron security checklist,
 * https://www.electronjs.org/docs/latest/tutorial/security).
 */
import type { BrowserWindowConstructorOptions, CustomScheme } from 'electron';
import { extname, join, normalize, sep } from 'node:path';

import { rendererMimeType } from '../../src-shared/formats/mime.ts';

/** The app's own scheme: the renderer is served from `app://callscope/…`, never from file://. */
export const APP_SCHEME = 'app';
/** Host of every app URL (a standard scheme needs one; it makes the origin `app://callscope`). */
export const APP_HOST = 'callscope';
/** The renderer's origin. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** The address the window loads. */
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;

/**
 * `protocol.registerSchemesAsPrivileged` entry: a standard, secure scheme (own origin, relative
 * URLs, `'self'` in the CSP, secure context for getUserMedia) with fetch support. No `bypassCSP`,
 * no `corsEnabled`: nothing else may read it.
 */
export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true },
};

/**
 * Maps an `app://callscope/<path>` request to a file of the built renderer.
 * @param rendererDir absolute folder of the built renderer (`dist/renderer`).
 * @returns the absolute file and its content type, or null (404) for another scheme or host, a
 *   path that leaves `rendererDir` (`..`, encoded or not), a NUL byte, or an undecodable path.
 */
export function resolveAppRequest(url: string, rendererDir: string): { file: string; type: string } | null {
  let u: URL;
  let rel: string;
  try {
    u = new URL(url);
    rel = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST || rel.includes('\0')) return null;
  rel = rel.replace(/^\/+/, '') || 'index.html';
  const root = normalize(rendererDir);
  const file = normalize(join(root, rel));
  if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) return null;
  return { file, type: rendererMimeType(extname(file)) };
}

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

/**
 * Whether a URL belongs to the app's own origin: `app://callscope/…`, or, in development only, the
 * dev server's origin on loopback. file:// is never app content (a dropped or linked local file
 * must not run with the preload).
 */
export function isAppUrl(url: string, devServer?: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === `${APP_SCHEME}:`) return u.host === APP_HOST;
  if (devServer) {
    let d: URL;
    try {
      d = new URL(devServer);
    } catch {
      return false;
    }
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(d.hostname);
    return loopback && d.protocol === 'http:' && u.origin === d.origin;
  }
  return false;
}

/**
 * Whether the session lets a request through: the app's own content, and DevTools' own pages.
 * Everything else (http(s), file://, ws) is cancelled at the session level.
 */
export function isAllowedRequest(url: string, devServer?: string): boolean {
  if (url.startsWith('devtools://')) return true;
  // the dev server's HMR socket, same origin on loopback
  if (devServer && url.startsWith('ws://')) return isAppUrl(url.replace(/^ws:/, 'http:'), devServer);
  return isAppUrl(url, devServer);
}

/** Navigation policy: the window never navigates (the app is one page); always false. */
export function isNavigationAllowed(_url: string): boolean {
  return false;
}

/**
 * Permissions the renderer may get: microphone and display/system-audio capture only, for the app's
 * own origin in the top frame (an iframe, even of the app, gets nothing).
 */
export function isPermissionAllowed(
  permission: string,
  requestingUrl: string,
  isMainFrame: boolean,
  devServer?: string,
): boolean {
  return (
    (permission === 'media' || permission === 'display-capture') &&
    isMainFrame &&
    isAppUrl(requestingUrl, devServer)
  );
}

/** Whether a preload/IPC channel is on the allow-list (src-shared/contracts/channels.ts). */
export function isAllowedChannel(channel: string, allowed: readonly string[]): boolean {
  return allowed.includes(channel);
}

/**
 * Whether an IPC message comes from the top frame showing the app's own origin: main re-checks the
 * sender frame of every message (a navigated frame, an iframe or an injected page gets nothing).
 * @param frame `event.senderFrame` (`url`, and `parent` null for the top frame), or undefined/null
 *   when the frame is gone.
 */
export function isTrustedSender(
  frame: { url: string; parent: unknown } | null | undefined,
  devServer?: string,
): boolean {
  return !!frame && frame.parent === null && frame.url !== '' && isAppUrl(frame.url, devServer);
}
