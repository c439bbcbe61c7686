import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { ALLOWED_CHANNELS, RPC_CHANNEL } from '../../src-shared/contracts/channels.ts';
import { REPO_ROOT } from '../test-support.ts';
import { FileGrants, MAX_GRANTS } from './file-grants.ts';
import {
  APP_INDEX_URL,
  APP_SCHEME_PRIVILEGES,
  CONTENT_SECURITY_POLICY,
  isAllowedChannel,
  isAllowedRequest,
  isAppUrl,
  isNavigationAllowed,
  isPermissionAllowed,
  isTrustedSender,
  resolveAppRequest,
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
  it('app content is app://callscope only: never file://, other hosts or other schemes (issue 12, 3)', () => {
    expect(isAppUrl('app://callscope/index.html')).toBe(true);
    expect(isAppUrl(APP_INDEX_URL)).toBe(true);
    expect(isAppUrl('file:///app/index.html')).toBe(false);
    expect(isAppUrl('file:///home/u/Downloads/evil.html')).toBe(false);
    expect(isAppUrl('app://other/index.html')).toBe(false);
    expect(isAppUrl('https://example.com/')).toBe(false);
    expect(isAppUrl('devtools://devtools/bundled/x.html')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
    expect(isAppUrl('http://127.0.0.1:5173/x', 'http://127.0.0.1:5173')).toBe(true);
    expect(isAppUrl('http://127.0.0.1:5174/x', 'http://127.0.0.1:5173')).toBe(false);
    expect(isAppUrl('http://10.0.0.1:5173/x', 'http://10.0.0.1:5173')).toBe(false);
    expect(isAppUrl('http://127.0.0.1:5173.evil.example/x', 'http://127.0.0.1:5173')).toBe(false);
  });
  it('blocks every request that is not app content at the session level', () => {
    expect(isAllowedRequest('app://callscope/assets/index.js')).toBe(true);
    expect(isAllowedRequest('devtools://devtools/bundled/x.html')).toBe(true);
    for (const u of [
      'file:///etc/passwd',
      'https://example.com/',
      'http://127.0.0.1:8080/',
      'ws://127.0.0.1:1/',
    ])
      expect(isAllowedRequest(u)).toBe(false);
    expect(isAllowedRequest('ws://127.0.0.1:5173/', 'http://127.0.0.1:5173')).toBe(true);
  });
  it('denies every navigation, the app itself included', () => {
    for (const u of ['file:///tmp/dropped.html', 'https://example.com/', APP_INDEX_URL, 'app://callscope/#x'])
      expect(isNavigationAllowed(u)).toBe(false);
  });
  it('serves app:// from the renderer folder only (no traversal, no other host)', () => {
    const dir = '/opt/callscope/dist/renderer';
    expect(resolveAppRequest('app://callscope/index.html', dir)).toEqual({
      file: join(dir, 'index.html'),
      type: 'text/html; charset=utf-8',
    });
    expect(resolveAppRequest('app://callscope/', dir)?.file).toBe(join(dir, 'index.html'));
    expect(resolveAppRequest('app://callscope/assets/a.js?v=1', dir)?.type).toContain('javascript');
    // the URL parser folds plain dot segments: what is left stays inside the renderer folder
    for (const u of ['app://callscope/../../../etc/passwd', 'app://callscope/%2e%2e/%2e%2e/etc/passwd'])
      expect(resolveAppRequest(u, dir)?.file).toBe(join(dir, 'etc/passwd'));
    for (const u of [
      'app://callscope/..%2F..%2Fetc%2Fpasswd',
      'app://callscope/assets/..%2F..%2F..%2Fetc%2Fpasswd',
      'app://callscope/%00',
      'app://callscope/%E0%A4%A',
      'app://evil/index.html',
      'file:///opt/callscope/dist/renderer/index.html',
    ])
      expect(resolveAppRequest(u, dir), u).toBeNull();
    expect(APP_SCHEME_PRIVILEGES.privileges).toMatchObject({ standard: true, secure: true });
    expect(APP_SCHEME_PRIVILEGES.privileges).not.toHaveProperty('bypassCSP');
  });
  it('grants only microphone and display capture, to the app origin in the top frame', () => {
    expect(isPermissionAllowed('media', APP_INDEX_URL, true)).toBe(true);
    expect(isPermissionAllowed('display-capture', APP_INDEX_URL, true)).toBe(true);
    expect(isPermissionAllowed('media', APP_INDEX_URL, false)).toBe(false);
    expect(isPermissionAllowed('geolocation', APP_INDEX_URL, true)).toBe(false);
    expect(isPermissionAllowed('media', 'file:///app/index.html', true)).toBe(false);
    expect(isPermissionAllowed('media', 'https://evil.example/', true)).toBe(false);
  });
  it('allows only the RPC channel on the preload bridge', () => {
    expect(ALLOWED_CHANNELS).toEqual([RPC_CHANNEL]);
    expect(isAllowedChannel(RPC_CHANNEL, ALLOWED_CHANNELS)).toBe(true);
    expect(isAllowedChannel('callscope:fs', ALLOWED_CHANNELS)).toBe(false);
  });
  it('relays IPC only from the top frame showing the app origin', () => {
    expect(isTrustedSender({ url: APP_INDEX_URL, parent: null })).toBe(true);
    expect(isTrustedSender({ url: APP_INDEX_URL, parent: {} })).toBe(false);
    expect(isTrustedSender({ url: 'file:///app/dist/renderer/index.html', parent: null })).toBe(false);
    expect(isTrustedSender({ url: 'https://evil.example/', parent: null })).toBe(false);
    expect(isTrustedSender(undefined)).toBe(false);
    expect(isTrustedSender(null)).toBe(false);
    expect(isTrustedSender({ url: '', parent: null })).toBe(false);
    expect(isTrustedSender({ url: 'http://127.0.0.1:5173/', parent: null }, 'http://127.0.0.1:5173')).toBe(
      true,
    );
  });
});

describe('packaging (issue 12, finding 4)', () => {
  it('sets the Electron fuses in electron-builder.yml', () => {
    const yml = readFileSync(join(REPO_ROOT, 'electron-builder.yml'), 'utf8');
    const block = /^electronFuses:\n((?: {2}.+\n?)+)/m.exec(yml)?.[1] ?? '';
    const fuses = Object.fromEntries(
      [...block.matchAll(/^ {2}(\w+): (true|false)$/gm)].map((m) => [m[1], m[2] === 'true']),
    );
    expect(fuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });
});

describe('desktop file grants (issue 12, 2)', () => {
  it('opens path references only for files picked or dropped in this session', () => {
    const g = new FileGrants();
    expect(g.allows('/home/u/call.wav')).toBe(false);
    expect(g.record('/home/u/call.wav')).toBe(true);
    expect(g.allows('/home/u/call.wav')).toBe(true);
    expect(g.allows('/home/u/./call.wav')).toBe(true);
    expect(g.allows('/home/u/other.wav')).toBe(false);
    expect(g.allows('/home/u/call.wav/../../../etc/passwd')).toBe(false);
    expect(g.allows('call.wav')).toBe(false);
  });
  it('records only absolute paths without NUL and of bounded length', () => {
    const g = new FileGrants();
    for (const bad of ['', 'rel/x.wav', '/a\0b', '/' + 'a'.repeat(5000), 42, null, { path: '/x' }])
      expect(g.record(bad)).toBe(false);
    expect(g.size).toBe(0);
    expect(g.allows('/a\0b')).toBe(false);
  });
  it('keeps at most MAX_GRANTS paths, forgetting the oldest', () => {
    const g = new FileGrants();
    for (let i = 0; i <= MAX_GRANTS; i++) g.record(`/f/${i}.wav`);
    expect(g.size).toBe(MAX_GRANTS);
    expect(g.allows('/f/0.wav')).toBe(false);
    expect(g.allows(`/f/${MAX_GRANTS}.wav`)).toBe(true);
  });
});
