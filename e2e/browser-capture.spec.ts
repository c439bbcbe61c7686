/**
 * Live "This computer (browser capture)" in Debian Chromium against the web host: Chromium's fake
 * capture devices stand in for the hardware (`--use-fake-device-for-media-stream`), the fake
 * microphone plays a real dev recording (channel 0 — the agent — of the AWS auto-repairs stereo
 * call, converted with ffmpeg into the run's temporary folder at test time, never committed), the
 * permission prompts are auto-accepted (`--use-fake-ui-for-media-stream`). The page captures
 * through getUserMedia + getDisplayMedia and its AudioWorklet, streams frames over the `/capture`
 * WebSocket, and the engine's events come back: the mic level meter moves and a "You" turn
 * appears. Headless Chromium may or may not give an audio track with the shared screen: when it
 * does, the system channel must be heard too; when not, the Live view must say "System audio not
 * available" and the session must run on the microphone alone. A second test makes the sharing
 * fail (the user declining it) and checks that message and the mic-only session.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { expect, type Page, test } from '@playwright/test';

import { DEV, hostUrl, SCREENSHOTS } from './helpers.ts';

const STEREO = join(DEV, 'stereo', 'aws_lca_auto_repairs_40_stereo.wav');
const DIR = join(process.env.CALLSCOPE_E2E_DIR ?? tmpdir(), 'browser-capture');
const FAKE_MIC = join(DIR, 'fake-mic-agent.wav');

/** Channel 0 (the agent: speech at 0.4–6.0 s and 6.7–7.4 s) of a dev call, 48 kHz s16 mono. */
function makeFakeMic(): void {
  if (existsSync(FAKE_MIC)) return;
  if (!existsSync(STEREO)) throw new Error(`dev recording missing: ${STEREO} (../shared/data/dev)`);
  mkdirSync(DIR, { recursive: true });
  execFileSync('ffmpeg', [
    ...['-v', 'error', '-y', '-i', STEREO, '-t', '12'],
    ...['-af', 'pan=mono|c0=c0', '-ar', '48000', '-c:a', 'pcm_s16le', FAKE_MIC],
  ]);
}
// workers run after global setup (CALLSCOPE_E2E_DIR set): the file must exist before the launch
if (process.env.CALLSCOPE_E2E_DIR) makeFakeMic();

test.use({
  launchOptions: {
    executablePath: process.env.CALLSCOPE_CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${FAKE_MIC}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  },
});
test.describe.configure({ mode: 'serial', timeout: 60_000 });

const level = async (page: Page, channel: 'mic' | 'system'): Promise<number> =>
  Number(await page.getByRole('meter', { name: `${channel} level` }).getAttribute('aria-valuenow'));

/** Starts a browser-capture session from the Live view. */
async function startCapture(page: Page): Promise<void> {
  await page.goto(hostUrl());
  await expect(page.getByText('engine connected')).toBeVisible();
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('button', { name: 'Live', exact: true })
    .click();
  await page.getByLabel('This computer (browser capture)').check();
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByRole('button', { name: 'Stop' })).toBeVisible();
}

/** The engine hears the fake microphone: level above −60 dBFS, then a "You" turn on the timeline. */
async function expectMicHeard(page: Page): Promise<void> {
  await expect.poll(() => level(page, 'mic'), { timeout: 15_000 }).toBeGreaterThan(-60);
  // the You card appears once "You" has talked 0.5 s (no card at 0:00, issue 15 point 5)
  await expect(page.getByTestId('live-speaker-you')).toBeVisible({ timeout: 45_000 });
  await expect
    .poll(async () => Number(await page.getByTestId('live-timeline').getAttribute('data-turns')))
    .toBeGreaterThan(0);
}

/** Stop: the session ends without an error and the call is in the history; then delete it. */
async function stopAndCheckSaved(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Stop' }).click();
  // stopping flushes the last windows through the models: slow on a loaded 2-core machine
  await expect(page.getByRole('button', { name: 'Start' })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('button', { name: 'History', exact: true })
    .click();
  const call = page.getByTestId('call').filter({ hasText: 'browser capture' });
  await expect(call).toHaveCount(1);
  // leave the shared e2e database as found (web.spec.ts counts its calls)
  await call.getByRole('button', { name: 'Delete' }).click();
  await call.getByRole('button', { name: 'Confirm delete' }).click();
  await expect(call).toHaveCount(0);
}

test('browser capture: the fake mic reaches the engine; system audio is heard or reported unavailable', async ({
  page,
}) => {
  await startCapture(page);
  await expectMicHeard(page);
  const notice = page.getByTestId('capture-notice');
  if (await notice.isVisible()) {
    await expect(notice).toContainText('System audio not available');
    await expect(notice).toContainText('microphone alone');
  } else {
    // Chromium shared a fake screen with audio: the system channel carries signal too
    await expect.poll(() => level(page, 'system'), { timeout: 15_000 }).toBeGreaterThan(-119);
  }
  await page.screenshot({ path: join(SCREENSHOTS, 'live-browser-capture.png') });
  await stopAndCheckSaved(page);
});

test('browser capture: sharing declined → "System audio not available", the mic alone goes on', async ({
  page,
}) => {
  // the user presses Cancel in the sharing dialog: getDisplayMedia rejects with NotAllowedError
  await page.addInitScript(() => {
    navigator.mediaDevices.getDisplayMedia = () =>
      Promise.reject(new DOMException('Permission denied by user', 'NotAllowedError'));
  });
  await startCapture(page);
  const notice = page.getByTestId('capture-notice');
  await expect(notice).toContainText('System audio not available: sharing was declined');
  await expect(notice).toContainText('The session runs with the microphone alone.');
  await expectMicHeard(page);
  expect(await level(page, 'system')).toBeLessThan(-100);
  await page.screenshot({ path: join(SCREENSHOTS, 'live-browser-capture-no-system.png') });
  await stopAndCheckSaved(page);
});
