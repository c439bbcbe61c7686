/**
 * Speaker timeline on a canvas: a lane per speaker ("You" first), turns as bars, overlapping
 * speech hatched, a time axis, an optional "now" cursor. Only the turns in the visible window are
 * drawn (binary search), so a 30-minute call with 4 speakers redraws in well under a frame.
 * Interactive: a tooltip per turn under the pointer (speaker, channel, start–end, overlap); the
 * keyboard moves through turns (←/→ within a speaker, ↑/↓ between speakers, Home/End) with the
 * focused turn outlined and announced; click or Enter/Space plays the turn when `onPlay` is given.
 */
import { useEffect, useRef, useState } from 'react';

import type { Turn } from '../../src-shared/contracts/analysis.ts';
import { firstVisible, formatClock, type Lane, visibleTurns } from '../timeline-model.ts';

/** A turn of a lane, by lane index and turn index. */
interface TurnRef {
  lane: number;
  turn: number;
}

const CHANNEL_WORDS: Record<string, string> = { mic: 'microphone', system: 'system audio', mono: 'mono' };

/** `m:ss.s` for turn boundaries (a tenth of a second matters for short turns). */
const clock1 = (s: number): string => {
  const m = Math.floor(s / 60);
  return `${m}:${(s - 60 * m).toFixed(1).padStart(4, '0')}`;
};

/** What the tooltip and the screen reader say about a turn. */
export function describeTurn(lane: Lane, t: Turn): string {
  return (
    `${lane.label} · ${CHANNEL_WORDS[t.channel] ?? t.channel} · ${clock1(t.startS)}–${clock1(t.endS)} ` +
    `(${(t.endS - t.startS).toFixed(1)} s)${t.overlap ? ' · overlaps another speaker' : ''}`
  );
}

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
  /** Plays a turn (click, Enter, Space); without it the timeline only describes turns. */
  onPlay?: (turn: Turn, lane: Lane) => void;
  /** Turn outlined as focused (keyboard). */
  focus?: Turn | null;
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
  if (p.focus) {
    const i = p.lanes.findIndex((l) => l.turns.includes(p.focus!));
    if (i >= 0) {
      const y = AXIS_H + i * LANE_H;
      const x0 = Math.max(LABEL_W, x(p.focus.startS));
      const x1 = Math.min(LABEL_W + plotW, x(p.focus.endS));
      ctx.strokeStyle = cssVar(canvas, '--focus', '#ffd166');
      ctx.lineWidth = 2;
      ctx.strokeRect(x0 - 1, y + 4, Math.max(2, x1 - x0) + 2, LANE_H - 8);
    }
  }
  if (p.nowS !== undefined && p.nowS >= p.fromS && p.nowS <= p.toS) {
    ctx.fillStyle = fg;
    ctx.fillRect(x(p.nowS), AXIS_H - 4, 2, h - AXIS_H + 4);
  }
}

/** The turn at canvas point (px, py), CSS pixels, or null. */
function hitTest(canvas: HTMLCanvasElement, p: TimelineProps, px: number, py: number): TurnRef | null {
  const lane = Math.floor((py - AXIS_H) / LANE_H);
  if (lane < 0 || lane >= p.lanes.length || px < LABEL_W) return null;
  const plotW = Math.max(10, canvas.clientWidth - LABEL_W - 8);
  const t = p.fromS + ((px - LABEL_W) / plotW) * Math.max(1e-3, p.toS - p.fromS);
  const turns = p.lanes[lane].turns;
  // a bar is at least 1 px wide: accept the pixel around it
  const slack = (2 * (p.toS - p.fromS)) / plotW;
  for (let i = firstVisible(turns, t - slack); i < turns.length && turns[i].startS <= t + slack; i++) {
    if (turns[i].startS - slack <= t && t <= turns[i].endS + slack) return { lane, turn: i };
  }
  return null;
}

/** The timeline component; redraws on prop changes and resizes. */
export function Timeline(p: TimelineProps): React.JSX.Element {
  const ref = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<(TurnRef & { x: number; y: number }) | null>(null);
  const [focused, setFocused] = useState<TurnRef | null>(null);
  const focusTurn = focused ? p.lanes[focused.lane]?.turns[focused.turn] : undefined;
  const drawn: TimelineProps = { ...p, focus: focusTurn ?? null };
  const props = useRef(drawn);
  props.current = drawn;
  useEffect(() => {
    const c = ref.current;
    if (!c) return;
    const t0 = performance.now();
    drawTimeline(c, props.current);
    p.onDraw?.(performance.now() - t0);
  });
  useEffect(() => {
    const c = ref.current;
    if (!c) return;
    const ro = new ResizeObserver(() => drawTimeline(c, props.current));
    ro.observe(c);
    return () => ro.disconnect();
  }, []);

  const at = (e: React.MouseEvent<HTMLCanvasElement>): (TurnRef & { x: number; y: number }) | null => {
    const r = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - r.left;
    const y = e.clientY - r.top;
    const hit = hitTest(e.currentTarget, p, x, y);
    return hit && { ...hit, x, y };
  };
  const onKey = (e: React.KeyboardEvent<HTMLCanvasElement>): void => {
    const withTurns = p.lanes.map((l, i) => (l.turns.length ? i : -1)).filter((i) => i >= 0);
    if (!withTurns.length) return;
    const cur = focusTurn && focused ? focused : null;
    let next: TurnRef | null = null;
    const nearest = (lane: number, s: number): TurnRef => {
      const turns = p.lanes[lane].turns;
      let best = 0;
      for (let i = 1; i < turns.length; i++)
        if (Math.abs(turns[i].startS - s) < Math.abs(turns[best].startS - s)) best = i;
      return { lane, turn: best };
    };
    const laneStep = (d: number): TurnRef | null => {
      if (!cur) return { lane: withTurns[0], turn: 0 };
      const k = withTurns.indexOf(cur.lane) + d;
      if (k < 0 || k >= withTurns.length) return cur;
      return nearest(withTurns[k], p.lanes[cur.lane].turns[cur.turn].startS);
    };
    switch (e.key) {
      case 'ArrowRight':
        next = cur
          ? { lane: cur.lane, turn: Math.min(cur.turn + 1, p.lanes[cur.lane].turns.length - 1) }
          : { lane: withTurns[0], turn: 0 };
        break;
      case 'ArrowLeft':
        next = cur ? { lane: cur.lane, turn: Math.max(cur.turn - 1, 0) } : { lane: withTurns[0], turn: 0 };
        break;
      case 'ArrowDown':
        next = laneStep(1);
        break;
      case 'ArrowUp':
        next = laneStep(-1);
        break;
      case 'Home':
        next = { lane: cur?.lane ?? withTurns[0], turn: 0 };
        break;
      case 'End': {
        const lane = cur?.lane ?? withTurns[0];
        next = { lane, turn: p.lanes[lane].turns.length - 1 };
        break;
      }
      case 'Enter':
      case ' ':
        if (cur && p.onPlay) {
          e.preventDefault();
          p.onPlay(p.lanes[cur.lane].turns[cur.turn], p.lanes[cur.lane]);
        }
        return;
      case 'Escape':
        setFocused(null);
        return;
      default:
        return;
    }
    e.preventDefault();
    setFocused(next);
  };
  const tipOf = (r: TurnRef | null): string | null => {
    const lane = r ? p.lanes[r.lane] : undefined;
    const t = lane?.turns[r!.turn];
    return lane && t ? describeTurn(lane, t) : null;
  };
  const hoverTip = tipOf(hover);
  const focusTip = tipOf(focused);
  const tip = hoverTip ?? focusTip;
  const canvasW = ref.current?.clientWidth ?? 0;
  // the tooltip sits above the hovered point, or above the focused bar
  const tipPos = hover
    ? { left: Math.min(hover.x + 12, Math.max(0, canvasW - 280)), top: Math.max(0, hover.y - 34) }
    : focused && focusTurn
      ? {
          left: Math.min(
            LABEL_W +
              ((focusTurn.startS - p.fromS) / Math.max(1e-3, p.toS - p.fromS)) *
                Math.max(10, canvasW - LABEL_W - 8),
            Math.max(0, canvasW - 280),
          ),
          top: Math.max(0, AXIS_H + focused.lane * LANE_H - 30),
        }
      : null;
  return (
    <div className="timeline-wrap">
      <canvas
        ref={ref}
        className="timeline"
        tabIndex={0}
        role="application"
        aria-roledescription="speaker timeline"
        aria-label={`${p.label}. Arrow keys move between turns${p.onPlay ? ', Enter plays the turn' : ''}.`}
        data-testid={p.testId ?? 'timeline'}
        data-lanes={p.lanes.length}
        data-turns={p.lanes.reduce((n, l) => n + l.turns.length, 0)}
        style={{
          height: AXIS_H + p.lanes.length * LANE_H,
          cursor: hover && p.onPlay ? 'pointer' : undefined,
        }}
        onMouseMove={(e) => setHover(at(e))}
        onMouseLeave={() => setHover(null)}
        onClick={(e) => {
          const hit = at(e);
          if (hit) {
            setFocused({ lane: hit.lane, turn: hit.turn });
            p.onPlay?.(p.lanes[hit.lane].turns[hit.turn], p.lanes[hit.lane]);
          }
        }}
        onKeyDown={onKey}
        onBlur={() => setFocused(null)}
      />
      {tip && tipPos && (
        <div className="timeline-tip" role="tooltip" data-testid="timeline-tooltip" style={tipPos}>
          {tip}
        </div>
      )}
      <span className="sr-only" aria-live="polite">
        {focusTip ?? ''}
      </span>
    </div>
  );
}
