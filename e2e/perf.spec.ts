/**
 * Renderer performance: the live timeline with 4 speakers and a 30-minute call on screen, turns
 * arriving at 20 Hz, redrawn every animation frame (`?bench=timeline`). Frames and draw times are
 * read back from the Performance API (`frame` marks, `timeline-draw` measures) over 5 s; the
 * report goes to e2e/results/bench/ (with `--update`: bench/results/renderer-timeline-<time>.json
 * and renderer-timeline-latest.md).
 * Fails below 10 frames per second.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { expect, test } from '@playwright/test';

import { hostUrl, RESULTS, ROOT, SCREENSHOTS, UPDATE } from './helpers.ts';

const WINDOW_MS = 5000;

test('timeline ≥ 10 fps with 4 speakers and a 30-minute call on screen', async ({ page }) => {
  const url = new URL(hostUrl());
  url.searchParams.set('bench', 'timeline');
  await page.goto(url.href);
  await expect(page.getByTestId('timeline')).toHaveAttribute('data-lanes', '4');
  await page.waitForTimeout(1000);
  const m = await page.evaluate(async (windowMs) => {
    performance.clearMarks('frame');
    performance.clearMeasures('timeline-draw');
    const longTasks: number[] = [];
    const po = new PerformanceObserver((l) => l.getEntries().forEach((e) => longTasks.push(e.duration)));
    try {
      po.observe({ type: 'longtask', buffered: false });
    } catch {
      // longtask unsupported: reported as empty
    }
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, windowMs));
    const t1 = performance.now();
    po.disconnect();
    const frames = performance
      .getEntriesByName('frame')
      .map((e) => e.startTime)
      .filter((t) => t >= t0 && t <= t1);
    const draws = performance
      .getEntriesByName('timeline-draw')
      .map((e) => e.duration)
      .sort((a, b) => a - b);
    const gaps = frames
      .slice(1)
      .map((t, i) => t - frames[i])
      .sort((a, b) => a - b);
    const canvas = document.querySelector('[data-testid=timeline]')!;
    return {
      seconds: (t1 - t0) / 1000,
      frames: frames.length,
      fps: frames.length / ((t1 - t0) / 1000),
      worstFrameGapMs: gaps.at(-1) ?? null,
      p95FrameGapMs: gaps[Math.floor(gaps.length * 0.95)] ?? null,
      drawMeanMs: draws.reduce((s, d) => s + d, 0) / Math.max(1, draws.length),
      drawP95Ms: draws[Math.floor(draws.length * 0.95)] ?? null,
      draws: draws.length,
      turnsOnScreen: Number(canvas.getAttribute('data-turns')),
      lanes: Number(canvas.getAttribute('data-lanes')),
      longTasks: longTasks.length,
      longestTaskMs: longTasks.length ? Math.max(...longTasks) : 0,
      viewport: `${innerWidth}x${innerHeight}`,
      devicePixelRatio,
    };
  }, WINDOW_MS);
  await page.screenshot({ path: join(SCREENSHOTS, 'timeline-bench.png') });
  const report = {
    what: 'renderer live timeline: 4 speakers, 30-minute call on screen, 20 Hz updates, redraw every animation frame',
    browser: `Chromium ${page.context().browser()?.version()} headless (/usr/bin/chromium, --disable-gpu)`,
    measuredAt: new Date().toISOString(),
    cpus: (await import('node:os')).cpus().length,
    ...m,
  };
  const dir = UPDATE ? join(ROOT, 'bench', 'results') : join(RESULTS, 'bench');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `renderer-timeline-${report.measuredAt.replace(/[:.]/g, '-')}.json`),
    JSON.stringify(report, null, 2) + '\n',
  );
  writeFileSync(
    join(dir, 'renderer-timeline-latest.md'),
    `# Renderer timeline benchmark\n\n${report.what}.\n\n| metric | value |\n|---|---|\n` +
      `| frames per second | ${m.fps.toFixed(1)} |\n| frames in ${m.seconds.toFixed(1)} s | ${m.frames} |\n` +
      `| p95 / worst frame gap | ${m.p95FrameGapMs?.toFixed(1)} / ${m.worstFrameGapMs?.toFixed(1)} ms |\n` +
      `| timeline draw mean / p95 | ${m.drawMeanMs.toFixed(2)} / ${m.drawP95Ms?.toFixed(2)} ms |\n` +
      `| turns on screen, lanes | ${m.turnsOnScreen}, ${m.lanes} |\n| long tasks (> 50 ms) | ${m.longTasks} (longest ${m.longestTaskMs.toFixed(0)} ms) |\n` +
      `| browser | ${report.browser}, ${m.viewport} @${m.devicePixelRatio}x, ${report.cpus} CPUs |\n| measured | ${report.measuredAt} |\n`,
  );
  console.log(
    `timeline: ${m.fps.toFixed(1)} fps, draw mean ${m.drawMeanMs.toFixed(2)} ms, ${m.turnsOnScreen} turns on screen`,
  );
  expect(m.fps).toBeGreaterThanOrEqual(10);
});
