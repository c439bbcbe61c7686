/**
 * Preload: the only bridge between the sandboxed renderer and the main process. Exposes a frozen
 * object with the app version; the allow-listed invoke/subscribe bridge over the typed contracts
 * arrives with the desktop-app issue (STYLE.md 2–4).
 */
import { contextBridge } from 'electron';

contextBridge.exposeInMainWorld('callscope', Object.freeze({ bridgeVersion: 1 }));
