/**
 * The app in Debian Chromium against the loopback web host, on the real engine and real dev
 * recordings: drop → progress → results (2 speakers, a timeline); remember a voice → Library →
 * rename → another recording of that speaker shows the name → delete; Live replay → remember a
 * remote speaker → Library lists it; every view screenshotted
 * (1280×800, dark and light, and 1920×1080); every request the page makes goes to 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { expect, type Page, test } from '@playwright/test';

import { DEV, dropFile, hostUrl, isLocal, SCREENSHOTS } from './helpers.ts';

const SAMPLE = join(DEV, 'diarization', 'pyannote_sample.wav');
const STEREO = join(DEV, 'stereo', 'aws_lca_auto_repairs_40_stereo.wav');

test.describe.configure({ mode: 'serial' });

let page: Page;
const requests: string[] = [];

test.beforeAll(async ({ browser }) => {
  page = await browser.newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('websocket', (ws) => requests.push(ws.url()));
  await page.goto(hostUrl());
  await expect(page.getByText('engine connected')).toBeVisible();
});

test.afterAll(async () => {
  await page.close();
});

const nav = (name: string) =>
  page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name, exact: true });

test('drop a real recording: progress, then results with 2 speakers and a timeline', async () => {
  await page.screenshot({ path: join(SCREENSHOTS, 'files-empty.png') });
  await dropFile(page, '[data-testid=dropzone]', SAMPLE);
  const job = page.getByTestId('job').first();
  await expect(job).toBeVisible();
  await expect(job.getByRole('progressbar')).toBeVisible();
  await expect(job).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  const result = page.getByTestId('result');
  await expect(result.getByTestId('speaker-count')).toHaveText('2');
  const timeline = result.getByTestId('timeline');
  await expect(timeline).toHaveAttribute('data-lanes', '2');
  expect(Number(await timeline.getAttribute('data-turns'))).toBeGreaterThan(2);
  await expect(result.getByTestId('talk-share')).toBeVisible();
  await page.screenshot({ path: join(SCREENSHOTS, 'files-result.png'), fullPage: true });
});

test('export the result as RTTM, and cancel a long analysis from the queue', async () => {
  const download = page.waitForEvent('download');
  await page.getByTestId('result').getByRole('button', { name: 'Export RTTM' }).click();
  const rttm = await (await download).path().then((p) => readFileSync(p, 'utf8'));
  expect(rttm.trim().split('\n').length).toBeGreaterThan(2);
  expect(rttm).toMatch(/^SPEAKER pyannote_sample 1 /);

  await dropFile(page, '[data-testid=dropzone]', STEREO);
  const job = page.getByTestId('job').filter({ hasText: 'aws_lca_auto_repairs_40_stereo.wav' });
  await expect(job).toHaveAttribute('data-status', 'running');
  await job.getByRole('button', { name: /Cancel/ }).click();
  await expect(job).toHaveAttribute('data-status', 'cancelled');
  await page
    .getByTestId('job')
    .filter({ hasText: 'pyannote_sample.wav' })
    .getByRole('button')
    .first()
    .click();
});

test('remember a voice, rename it in Library, recognise it in another recording, delete it', async () => {
  const result = page.getByTestId('result');
  await result.getByTestId('remember-S1').click();
  await result.getByLabel('Name').fill('Speaker A');
  await result.getByLabel('This person agreed to have their voice remembered').check();
  await result.getByLabel('Consent record').fill('e2e test, synthetic consent');
  await result.getByRole('button', { name: 'Save' }).click();

  await nav('Library').click();
  const row = page.locator('[data-testid=voiceprint][data-name="Speaker A"]');
  await expect(row).toBeVisible();
  await row.getByRole('button', { name: 'Rename' }).click();
  const input = row.getByLabel('New name for Speaker A');
  await input.fill('Alice');
  await input.press('Enter');
  await expect(page.getByTestId('voiceprint').filter({ hasText: 'Alice' })).toBeVisible();
  await page.screenshot({ path: join(SCREENSHOTS, 'library.png') });

  // another recording of that speaker: the first 20 s of the sample, cut with ffmpeg
  const other = join(process.env.CALLSCOPE_E2E_DIR!, 'sample-first-20s.wav');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', SAMPLE, '-t', '20', other]);
  await nav('Files').click();
  await dropFile(page, '[data-testid=dropzone]', other);
  const job = page.getByTestId('job').filter({ hasText: 'sample-first-20s.wav' });
  await expect(job).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  const result2 = page.getByTestId('result');
  await expect(result2.getByRole('heading', { name: 'sample-first-20s.wav' })).toBeVisible();
  await expect(result2.getByTestId('speakers').getByText('Alice')).toBeVisible();

  await nav('History').click();
  await expect(page.getByTestId('call')).toHaveCount(2);
  await expect(page.getByTestId('call').first()).toContainText('Alice');
  await page.screenshot({ path: join(SCREENSHOTS, 'history.png') });
  await page.getByTestId('call').first().getByRole('button', { name: 'Open' }).click();
  await expect(page.getByTestId('result')).toBeVisible();
  await page.screenshot({ path: join(SCREENSHOTS, 'history-open.png'), fullPage: true });

  await nav('Library').click();
  const alice = page.locator('[data-testid=voiceprint][data-name="Alice"]');
  await alice.getByRole('button', { name: 'Delete' }).click();
  await alice.getByRole('button', { name: 'Confirm delete' }).click();
  await expect(page.getByTestId('voiceprint')).toHaveCount(0);
  await expect(page.getByText('No known voices yet')).toBeVisible();
});

test('Settings and Live views, keyboard navigation, light theme, 1920×1080', async () => {
  await page.keyboard.press('Alt+5');
  await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
  await expect(page.getByTestId('models')).toContainText('silero-vad-v6');
  await expect(page.getByTestId('execution-provider')).toContainText('CPU');
  await page.screenshot({ path: join(SCREENSHOTS, 'settings.png'), fullPage: true });
  await page.keyboard.press('Alt+2');
  await expect(page.getByRole('heading', { name: 'Live' })).toBeVisible();

  // Tab reaches the navigation with a visible focus ring
  await page.keyboard.press('Alt+1');
  await page.locator('body').focus();
  await page.keyboard.press('Tab');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
  expect(outline).toBe('solid');
  await page.screenshot({ path: join(SCREENSHOTS, 'focus.png') });

  await nav('Settings').click();
  await page.getByLabel('Light').check();
  await nav('Files').click();
  await page.getByTestId('job').first().getByRole('button').first().click();
  await page.screenshot({ path: join(SCREENSHOTS, 'files-result-light.png'), fullPage: true });
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.screenshot({ path: join(SCREENSHOTS, 'files-result-1920.png') });
  await nav('Library').click();
  await page.screenshot({ path: join(SCREENSHOTS, 'library-light-1920.png') });
  await nav('Settings').click();
  await page.getByLabel('Dark').check();
});

test('Live: replaying a dev stereo call fills the You lane and remote lanes, then remember a remote voice', async () => {
  await nav('Live').click();
  await page.getByTestId('live-file').setInputFiles(STEREO);
  await page.getByRole('button', { name: 'Start' }).click();
  const timeline = page.getByTestId('live-timeline');
  await expect(page.getByRole('button', { name: 'Stop' })).toBeVisible();
  await expect
    .poll(async () => Number(await timeline.getAttribute('data-lanes')), { timeout: 60_000 })
    .toBeGreaterThanOrEqual(2);
  await expect
    .poll(async () => Number(await timeline.getAttribute('data-turns')), { timeout: 60_000 })
    .toBeGreaterThan(3);
  await page.screenshot({ path: join(SCREENSHOTS, 'live.png') });
  // "Remember this voice" waits until a speaker has 8 s of clear speech (what enrollment uses)
  const speakers = page.getByTestId('live-speakers');
  await expect(speakers.locator('[data-testid^="remember-S"]').first()).toBeDisabled();
  await expect(speakers.locator('[data-testid^="remember-S"]:enabled').first()).toBeVisible({
    timeout: 90_000,
  });
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByRole('button', { name: 'Start' })).toBeVisible({ timeout: 30_000 });
  // point 6: no capture warning outlives the session
  await expect(page.getByTestId('live-warning')).toHaveCount(0);

  // remember a remote speaker of the session that just ended; the Library lists the name
  const remember = speakers.locator('[data-testid^="remember-S"]:enabled').first();
  const key = (await remember.getAttribute('data-testid'))!.slice('remember-'.length);
  const card = speakers.getByTestId(`live-speaker-${key}`);
  await remember.click();
  await card.getByLabel('Name').fill('Live Caller');
  await card.getByLabel('This person agreed to have their voice remembered').check();
  await card.getByLabel('Consent record').fill('e2e test, synthetic consent');
  await page.screenshot({ path: join(SCREENSHOTS, 'live-remember.png') });
  await card.getByRole('button', { name: 'Save' }).click();
  await expect(card.getByText('saved as Live Caller')).toBeVisible();
  await page.screenshot({ path: join(SCREENSHOTS, 'live-remembered.png') });
  await nav('Library').click();
  const row = page.locator('[data-testid=voiceprint][data-name="Live Caller"]');
  await expect(row).toBeVisible();

  await nav('History').click();
  // the replay is stored under the file's own name, never the upload's temporary path
  await expect(page.getByTestId('call').first()).toContainText(
    'replay aws_lca_auto_repairs_40_stereo.wav at 1×',
  );
  expect(await page.content()).not.toContain('callscope-uploads');
  await nav('Library').click();
  await row.getByRole('button', { name: 'Delete' }).click();
  await row.getByRole('button', { name: 'Confirm delete' }).click();
  await expect(page.getByTestId('voiceprint')).toHaveCount(0);
});

test('every request the page made went to 127.0.0.1', async () => {
  expect(requests.length).toBeGreaterThan(3);
  const foreign = requests.filter((u) => !isLocal(u));
  expect(foreign).toEqual([]);
});
