/**
 * Speaker timeline on a canvas: a lane per speaker ("You" first), turns as bars, overlapping
 * speech hatched, a time axis, an optional "now" cursor. Only the turns in the visible window are
 * drawn (binary search), so a 30-minute call with 4 speakers redraws in well under a frame.
 */
import { useEffect, useRef } from 'react';

import { formatClock, type Lane, visibleTurns } from '../timeline-model.ts';

export interface TimelineProps {
  lanes: Lane[];
  /** Visible window, seconds. */
  fromS: number;
  toS: number;
  /** Cursor position (live "now"), seconds. */
  nowS?: number;
  /** Accessible summary. */
  label: string;
  /** Called after each redraw with its duration in ms (benchmarks). */
  onDraw?: (ms: number) => void;
  testId?: string;
}

const LANE_H = 34;
const AXIS_H = 22;
const LABEL_W = 132;

function cssVar(el: Element, name: string, fallback: string): string {
  return getComputedStyle(el).getPropertyValue(name).trim() || fallback;
}

/** Draws the whole timeline into `canvas` (CSS size × devicePixelRatio). */
export function drawTimeline(canvas: HTMLCanvasElement, p: TimelineProps): void {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = AXIS_H + p.lanes.length * LANE_H;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const fg = cssVar(canvas, '--fg', '#e6e6e6');
  const muted = cssVar(canvas, '--muted', '#8a8f98');
  const grid = cssVar(canvas, '--grid', '#2a2f37');
  ctx.clearRect(0, 0, w, h);
  const span = Math.max(1e-3, p.toS - p.fromS);
  const plotW = Math.max(10, w - LABEL_W - 8);
  const x = (s: number): number => LABEL_W + ((s - p.fromS) / span) * plotW;

  // axis: ~8 ticks at a round step
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
  const step = steps.find((s) => span / s <= 8) ?? 3600;
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  for (let t = Math.ceil(p.fromS / step) * step; t <= p.toS; t += step) {
    const xx = x(t);
    ctx.fillStyle = grid;
    ctx.fillRect(xx, AXIS_H - 4, 1, h - AXIS_H + 4);
    ctx.fillStyle = muted;
    const label = formatClock(t);
    const tw = ctx.measureText(label).width;
    ctx.fillText(label, xx + 3 + tw > w - 4 ? xx - 3 - tw : xx + 3, AXIS_H / 2);
  }

  p.lanes.forEach((lane, i) => {
    const y = AXIS_H + i * LANE_H;
    ctx.fillStyle = grid;
    ctx.fillRect(LABEL_W, y + LANE_H - 1, plotW, 1);
    ctx.fillStyle = lane.color;
    ctx.fillRect(8, y + LANE_H / 2 - 5, 10, 10);
    ctx.fillStyle = fg;
    ctx.fillText(lane.label.length > 16 ? lane.label.slice(0, 15) + '…' : lane.label, 24, y + LANE_H / 2);
    const turns = visibleTurns(lane.turns, p.fromS, p.toS);
    for (const t of turns) {
      const x0 = Math.max(LABEL_W, x(t.startS));
      const x1 = Math.min(LABEL_W + plotW, x(t.endS));
      const bw = Math.max(1, x1 - x0);
      ctx.fillStyle = lane.color;
      ctx.globalAlpha = t.overlap ? 0.55 : 0.9;
      ctx.fillRect(x0, y + 6, bw, LANE_H - 12);
      ctx.globalAlpha = 1;
      if (t.overlap && bw > 4) {
        ctx.strokeStyle = fg;
        ctx.lineWidth = 1;
        ctx.strokeRect(x0 + 0.5, y + 6.5, Math.max(0, bw - 1), LANE_H - 13);
      }
    }
  });
  if (p.nowS !== undefined && p.nowS >= p.fromS && p.nowS <= p.toS) {
    ctx.fillStyle = fg;
    ctx.fillRect(x(p.nowS), AXIS_H - 4, 2, h - AXIS_H + 4);
  }
}

/** The timeline component; redraws on prop changes and resizes. */
export function Timeline(p: TimelineProps): React.JSX.Element {
  const ref = useRef<HTMLCanvasElement>(null);
  const props = useRef(p);
  props.current = p;
  useEffect(() => {
    const c = ref.current;
    if (!c) return;
    const t0 = performance.now();
    drawTimeline(c, p);
    p.onDraw?.(performance.now() - t0);
  });
  useEffect(() => {
    const c = ref.current;
    if (!c) return;
    const ro = new ResizeObserver(() => drawTimeline(c, props.current));
    ro.observe(c);
    return () => ro.disconnect();
  }, []);
  return (
    <canvas
      ref={ref}
      className="timeline"
      role="img"
      aria-label={p.label}
      data-testid={p.testId ?? 'timeline'}
      data-lanes={p.lanes.length}
      data-turns={p.lanes.reduce((n, l) => n + l.turns.length, 0)}
      style={{ height: AXIS_H + p.lanes.length * LANE_H }}
    />
  );
}
