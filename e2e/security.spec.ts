/**
 * Issue 12 in the browser against the loopback web host: a file dropped outside the drop zone is
 * default-prevented at the window (it would otherwise navigate the page away to the file), a drop
 * on the zone is handled by the zone (path file refs are covered by src-main/security).
 */
import { expect, test } from '@playwright/test';

import { hostUrl } from './helpers.ts';

test('drops outside the drop zone are prevented at the window (issue 12)', async ({ page }) => {
  await page.goto(hostUrl());
  await expect(page.getByText('engine connected')).toBeVisible();
  const dropOn = (selector: string): Promise<boolean> =>
    page.evaluate((sel) => {
      const dt = new DataTransfer();
      dt.items.add(new File(['<script>1</script>'], 'evil.html', { type: 'text/html' }));
      const ev = new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true });
      return !document.querySelector(sel)!.dispatchEvent(ev);
    }, selector);
  expect(await dropOn('h1')).toBe(true);
  expect(await dropOn('nav')).toBe(true);
  const url = page.url();
  expect(await dropOn('[data-testid="dropzone"]')).toBe(true);
  expect(page.url()).toBe(url);
});
