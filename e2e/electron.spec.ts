/**
 * The desktop shell with Playwright's `_electron`: start, drop a recording, results, library.
 * Runs only where the Electron binary is installed (`npm ci` on a machine that can download it,
 * then `npm run build`); elsewhere it is skipped and says so.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { _electron as electron, type ElectronApplication, expect, type Page, test } from '@playwright/test';

import { DEV, ROOT, SCREENSHOTS } from './helpers.ts';

function electronBinary(): string | null {
  try {
    const p = createRequire(import.meta.url)('electron') as unknown;
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
const built = existsSync(join(ROOT, 'dist', 'app', 'main.js'));
if (!binary)
  console.log(
    'electron.spec: SKIPPED — the Electron binary is not installed on this machine; the desktop shell was not launched.',
  );

/**
 * Skips the calling test where the Electron binary or the built app is missing, else launches the
 * built app with its own database in the e2e folder and waits until the renderer reports the
 * engine connected.
 * @param db the database file name inside `CALLSCOPE_E2E_DIR`.
 * @param flags Chromium switches put before the app's entry script.
 * @returns the app and its first window.
 */
async function launchApp(db: string, flags: string[] = []): Promise<{ app: ElectronApplication; win: Page }> {
  test.skip(
    !binary,
    'SKIPPED: the Electron binary is not installed on this machine (it cannot be downloaded here)',
  );
  test.skip(!built, 'SKIPPED: dist/app is not built; run `npm run build` first');
  const app = await electron.launch({
    executablePath: binary!,
    args: [...flags, join(ROOT, 'dist', 'app', 'main.js')],
    env: { ...process.env, CALLSCOPE_DB: join(process.env.CALLSCOPE_E2E_DIR!, db) },
  });
  const win = await app.firstWindow();
  await expect(win.getByText('engine connected (electron)')).toBeVisible({ timeout: 60_000 });
  return { app, win };
}

test('Electron app: start, drop a recording, results, library', async () => {
  const { app, win } = await launchApp('electron.db');
  await win.getByTestId('file-input').setInputFiles(join(DEV, 'diarization', 'pyannote_sample.wav'));
  await expect(win.getByTestId('job').first()).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(win.getByTestId('speaker-count')).toHaveText('2');
  await win.screenshot({ path: join(SCREENSHOTS, 'electron-files.png') });
  await win.getByRole('button', { name: 'Library', exact: true }).click();
  await expect(win.getByTestId('library')).toBeVisible();
  await app.close();
});

test('Electron app: Live browser capture (fake devices) reaches the engine over the MessagePort', async () => {
  const { app, win } = await launchApp('electron-live.db', [
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
  ]);
  await win.getByRole('button', { name: 'Live', exact: true }).click();
  await win.getByLabel('This computer (browser capture)').check();
  await win.getByRole('button', { name: 'Start' }).click();
  // frames flow renderer → MessagePort → engine: the engine's level events move the mic meter
  await expect
    .poll(
      async () => Number(await win.getByRole('meter', { name: 'mic level' }).getAttribute('aria-valuenow')),
      {
        timeout: 20_000,
      },
    )
    .toBeGreaterThan(-100);
  await win.screenshot({ path: join(SCREENSHOTS, 'electron-live-browser-capture.png') });
  await win.getByRole('button', { name: 'Stop' }).click();
  await expect(win.getByRole('button', { name: 'Start' })).toBeVisible({ timeout: 20_000 });
  await app.close();
});

test('Electron app: app:// origin, no navigation or new windows, path refs only for picked files (issue 12)', async () => {
  const { app, win } = await launchApp('electron-sec.db');
  // served from the privileged app:// scheme, never file://
  expect(win.url()).toBe('app://callscope/index.html');
  // navigation and new windows are denied
  await win.evaluate(() => {
    location.href = 'file:///etc/passwd';
  });
  await win.waitForTimeout(500);
  expect(win.url()).toBe('app://callscope/index.html');
  expect(await win.evaluate(() => window.open('https://example.com/') === null)).toBe(true);
  expect(app.windows()).toHaveLength(1);
  // requests off the app origin are blocked at the session level
  expect(
    await win.evaluate(() =>
      fetch('https://example.com/').then(
        () => 'ok',
        () => 'blocked',
      ),
    ),
  ).toBe('blocked');
  // a path the user did not pick: one generic refusal over the real bridge
  const refused = await win.evaluate(
    () =>
      new Promise<string>((resolve) => {
        const b = (
          window as unknown as {
            callscope: {
              rpc: {
                send(m: unknown): void;
                onMessage(cb: (m: { id?: number; error?: { code?: string } }) => void): void;
              };
            };
          }
        ).callscope;
        b.rpc.onMessage((m) => {
          if (m.id === 991) resolve(m.error?.code ?? 'accepted');
        });
        b.rpc.send({
          t: 'call',
          id: 991,
          service: 'analysis',
          method: 'enqueue',
          args: [{ file: { kind: 'path', path: '/etc/passwd' } }],
        });
      }),
  );
  expect(refused).toBe('not_allowed');
  // a file dropped outside the drop zone is default-prevented at the window (no navigation)
  const prevented = await win.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['<script>1</script>'], 'evil.html', { type: 'text/html' }));
    const ev = new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true });
    return !document.querySelector('h1')!.dispatchEvent(ev);
  });
  expect(prevented).toBe(true);
  expect(win.url()).toBe('app://callscope/index.html');
  await app.close();
});
