/** Shared e2e helpers: the host address, dev recordings, a real drag-and-drop of a file. */
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';

import type { Page } from '@playwright/test';

export const ROOT = resolve(import.meta.dirname, '..');
export const DEV = resolve(ROOT, '..', 'shared', 'data', 'dev');
/**
 * `npm run e2e -- --update` (e2e/run.mjs sets CALLSCOPE_E2E_UPDATE=1): the run rewrites the
 * committed screenshots and renderer benchmark report. Without it, every run output goes to the
 * ignored `e2e/results/` and no tracked file changes.
 */
export const UPDATE = process.env.CALLSCOPE_E2E_UPDATE === '1';
/** The committed screenshots the READMEs show. */
export const COMMITTED_SCREENSHOTS = resolve(ROOT, 'e2e', 'screenshots');
/** Ignored folder of this run's outputs (screenshots, benchmark reports). */
export const RESULTS = resolve(ROOT, 'e2e', 'results');
/** Where this run writes its screenshots. */
export const SCREENSHOTS = UPDATE ? COMMITTED_SCREENSHOTS : resolve(RESULTS, 'screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });

/** The tokenised web host address from global setup. */
export function hostUrl(): string {
  const u = process.env.CALLSCOPE_E2E_URL;
  if (!u) throw new Error('CALLSCOPE_E2E_URL unset: run through `npm run e2e`');
  return u;
}

/** Drops a file on `selector` through a real DataTransfer (the browser's drag-and-drop path). */
export async function dropFile(
  page: Page,
  selector: string,
  file: string,
  name = basename(file),
): Promise<void> {
  const b64 = readFileSync(file).toString('base64');
  const dt = await page.evaluateHandle(
    ({ b64, name }) => {
      const bin = atob(b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      const t = new DataTransfer();
      t.items.add(new File([bytes], name, { type: 'audio/wav' }));
      return t;
    },
    { b64, name },
  );
  await page.dispatchEvent(selector, 'dragover', { dataTransfer: dt });
  await page.dispatchEvent(selector, 'drop', { dataTransfer: dt });
}

/** Whether a request URL stays on the loopback host (or never leaves the page: data:, blob:). */
export function isLocal(url: string): boolean {
  if (url.startsWith('data:') || url.startsWith('blob:')) return true;
  const u = new URL(url);
  return u.hostname === '127.0.0.1';
}
