import { describe, expect, it } from 'vitest';

import { ALLOWED_CHANNELS, RPC_CHANNEL } from '../../src-shared/contracts/channels.ts';
import {
  CONTENT_SECURITY_POLICY,
  isAllowedChannel,
  isAppUrl,
  isPermissionAllowed,
  isTrustedSender,
  windowOptions,
} from './security.ts';

describe('Electron security configuration', () => {
  it('isolates and sandboxes the renderer', () => {
    const wp = windowOptions('/p/preload.cjs').webPreferences!;
    expect(wp.contextIsolation).toBe(true);
    expect(wp.sandbox).toBe(true);
    expect(wp.nodeIntegration).toBe(false);
    expect(wp.webSecurity).toBe(true);
  });
  it("restricts the CSP to 'self'", () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("object-src 'none'");
  });
  it('allows only app content and loopback dev servers', () => {
    expect(isAppUrl('file:///app/index.html')).toBe(true);
    expect(isAppUrl('https://example.com/')).toBe(false);
    expect(isAppUrl('http://127.0.0.1:5173/x', 'http://127.0.0.1:5173')).toBe(true);
    expect(isAppUrl('http://10.0.0.1:5173/x', 'http://127.0.0.1:5173')).toBe(false);
  });
  it('grants only microphone and display capture to the app', () => {
    expect(isPermissionAllowed('media', 'file:///app/index.html')).toBe(true);
    expect(isPermissionAllowed('display-capture', 'file:///app/index.html')).toBe(true);
    expect(isPermissionAllowed('geolocation', 'file:///app/index.html')).toBe(false);
    expect(isPermissionAllowed('media', 'https://evil.example/')).toBe(false);
  });
  it('allows only the RPC channel on the preload bridge', () => {
    expect(ALLOWED_CHANNELS).toEqual([RPC_CHANNEL]);
    expect(isAllowedChannel(RPC_CHANNEL, ALLOWED_CHANNELS)).toBe(true);
    expect(isAllowedChannel('callscope:fs', ALLOWED_CHANNELS)).toBe(false);
  });
  it('relays IPC only from frames showing the app', () => {
    expect(isTrustedSender('file:///app/dist/renderer/index.html')).toBe(true);
    expect(isTrustedSender('https://evil.example/')).toBe(false);
    expect(isTrustedSender(undefined)).toBe(false);
    expect(isTrustedSender('')).toBe(false);
    expect(isTrustedSender('http://127.0.0.1:5173/', 'http://127.0.0.1:5173')).toBe(true);
  });
});
