/**
 * Settings > Models in Debian Chromium against the loopback web host (its user model folder is a
 * fresh temporary one): states and licenses are listed; the non-commercial model cannot be
 * installed before its license is accepted, then is installed through the upload and removed; a
 * wrong file is refused; an optional model is put in use and the default restored; verify all. No download is started (none may start by itself).
 */
import { join, resolve } from 'node:path';

import { expect, test } from '@playwright/test';

import { hostUrl, ROOT, SCREENSHOTS } from './helpers.ts';

const SHARED_MODELS = process.env.CALLSCOPE_MODELS_DIR ?? resolve(ROOT, '..', 'shared', 'models');

test('Models panel: license confirmation, install from file, verify, remove', async ({ page }) => {
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(hostUrl());
  await expect(page.getByText('engine connected')).toBeVisible();
  await page.keyboard.press('Alt+5');
  const row = (id: string) => page.locator(`[data-testid=model-row][data-id="${id}"]`);
  // found in CALLSCOPE_MODELS_DIR (../shared/models), not inside the app
  await expect(row('silero-vad-v6')).toHaveAttribute('data-state', 'external');
  await expect(row('callscope_agegender_v1')).toHaveAttribute('data-state', 'bundled');
  await expect(row('3dspeaker-campplus-en-voxceleb')).toHaveAttribute('data-state', 'available');
  await expect(row('3dspeaker-campplus-en-voxceleb')).toContainText('Apache-2.0');

  // the NC model: both install buttons stay disabled until the license (and the unverified file) are accepted
  const nc = 'audeering-w2v2-large-robust-6-age-gender';
  await row(nc).getByRole('button', { name: 'Install…' }).click();
  const form = page.getByTestId('model-install');
  const fromFile = form.getByRole('button', { name: 'Install from file…' });
  await expect(fromFile).toBeDisabled();
  await form.getByLabel(`Accept the CC-BY-NC-SA-4.0 license of ${nc}`).check();
  await expect(fromFile).toBeDisabled();
  await form.getByLabel(`Trust an unverified file for ${nc}`).check();
  await expect(fromFile).toBeEnabled();
  await page.screenshot({ path: join(SCREENSHOTS, 'settings-models-license.png'), fullPage: true });
  // The audeering file is not available here; a real ONNX file stands in for it (the upload,
  // acceptance and hash-recording path is what is tested, not the model).
  await form.getByLabel(`Model file for ${nc}`).setInputFiles(join(SHARED_MODELS, 'silero_vad_v5.onnx'));
  await expect(row(nc)).toHaveAttribute('data-state', 'installed');
  await expect(row(nc)).toContainText(/accepted \d{4}-\d\d-\d\d/);
  await row(nc).getByRole('button', { name: 'Remove' }).click();
  await row(nc)
    .getByRole('button', { name: /^Delete / })
    .click();
  await expect(row(nc)).toHaveAttribute('data-state', 'available');

  // a wrong file for a model with a known size and sha256 is refused; nothing is installed
  const fp32 = row('pyannote-segmentation-3.0-fp32');
  await fp32.getByRole('button', { name: 'Install…' }).click();
  await expect(form.getByRole('button', { name: /^Download \(5\.7 MB\)$/ })).toBeEnabled(); // offered, not started
  await form
    .getByLabel('Model file for pyannote-segmentation-3.0-fp32')
    .setInputFiles(join(SHARED_MODELS, 'pyannote_segmentation_3_0_int8.onnx'));
  await expect(form.getByRole('alert')).toContainText('5992913 bytes; nothing installed');
  await expect(fp32).toHaveAttribute('data-state', 'available');

  // Silero v5 sits in the shared models folder (found there, so usable without an install): put it
  // in use, see it marked, then go back to the default
  const v5 = row('silero-vad-v5');
  await v5.getByRole('button', { name: 'Use' }).click();
  await expect(v5).toHaveAttribute('data-active', 'true');
  await expect(row('silero-vad-v6')).toHaveAttribute('data-active', 'false');
  await row('silero-vad-v6').getByRole('button', { name: 'Use' }).click();
  await expect(row('silero-vad-v6')).toHaveAttribute('data-active', 'true');
  await expect(v5).toHaveAttribute('data-active', 'false');

  // execution providers: unusable ones cannot be chosen; a saved order reloads the engine
  const vadSelect = page.getByLabel('Execution provider for vad');
  await expect(vadSelect.locator('option[value="cuda"]')).toBeDisabled();
  await vadSelect.selectOption('cpu');
  await expect(
    page.locator('[data-testid=provider-row][data-role=vad] [data-testid=provider-in-use]'),
  ).toContainText('cpu (silero-vad-v6)');
  await expect(vadSelect).toHaveValue('cpu');
  await vadSelect.selectOption('auto');
  await expect(vadSelect).toHaveValue('auto');

  await page.getByRole('button', { name: 'Verify all' }).click();
  await expect(page.getByTestId('verify-result')).toContainText(/All \d+ model files verified/);
  expect(requests.every((u) => new URL(u).hostname === '127.0.0.1')).toBe(true);
});
