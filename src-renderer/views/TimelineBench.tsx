/**
 * Renderer benchmark page (`?bench=timeline`): a live-style timeline with 4 speakers and a
 * 30-minute call fully on screen. Turns arrive at 20 Hz (the live event rate) through React state;
 * the canvas redraws every animation frame with a moving cursor. Each frame is marked with the
 * Performance API (`performance.mark('frame')`) and each draw measured (`timeline-draw`), which
 * the Playwright benchmark reads back.
 */
import { useEffect, useMemo, useState } from 'react';

import { Timeline } from '../components/Timeline.tsx';
import { TalkShare } from '../components/TalkShare.tsx';
import { buildLanes, syntheticTurns, talkTime } from '../timeline-model.ts';

const SPEAKERS = ['you', 'S1', 'S2', 'S3'];
const CALL_S = 1800;
const START_S = 1740;

export function TimelineBench(): React.JSX.Element {
  const all = useMemo(() => syntheticTurns(SPEAKERS, CALL_S + 120, 7), []);
  const [now, setNow] = useState(START_S);
  const [frame, setFrame] = useState(0);
  useEffect(() => {
    document.documentElement.dataset.theme = 'dark';
    const t0 = performance.now();
    const iv = setInterval(() => setNow(START_S + (performance.now() - t0) / 1000), 50);
    let raf = 0;
    const tick = (): void => {
      performance.mark('frame');
      setFrame((f) => f + 1);
      raf = requestAnimationFrame(tick);
    };
    raf = requestAnimationFrame(tick);
    return () => {
      clearInterval(iv);
      cancelAnimationFrame(raf);
    };
  }, []);
  const turns = useMemo(
    () => all.filter((t) => t.startS < now).map((t) => (t.endS > now ? { ...t, endS: now } : t)),
    [all, now],
  );
  const lanes = useMemo(
    () =>
      buildLanes(
        SPEAKERS.map((id, i) => ({ id, label: i ? `Unknown ${i}` : 'You' })),
        turns,
      ),
    [turns],
  );
  const talk = useMemo(() => talkTime(turns), [turns]);
  return (
    <div className="view bench" data-frame={frame}>
      <h1>Timeline benchmark</h1>
      <p className="muted">
        4 speakers, {Math.round(now / 60)} min on screen, {turns.length} turns
      </p>
      <Timeline
        lanes={lanes}
        fromS={0}
        toS={CALL_S + 60}
        nowS={now}
        label="benchmark timeline"
        onDraw={(ms) => performance.measure('timeline-draw', { start: performance.now() - ms, duration: ms })}
      />
      <div className="card">
        <TalkShare lanes={lanes} talk={talk} />
      </div>
    </div>
  );
}
