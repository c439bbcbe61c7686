/** `callscope live`: JSONL events on a replayed call, text lines, and one-line device errors. */
import { beforeAll, describe, expect, it } from 'vitest';

import type { LiveEvent } from '../../src-shared/contracts/live.ts';
import { LIVE_EVENT_TYPES } from '../../src-shared/contracts/live.ts';
import { devFile, useSharedModels } from '../test-support.ts';
import { formatLiveEvent } from './live.ts';
import { runCli } from './in-process.ts';

const cli = (args: string[]): ReturnType<typeof runCli> => runCli(...args);

describe('callscope live', () => {
  beforeAll(() => useSharedModels());

  it('--replay --format jsonl prints one typed event per line', async () => {
    const file = devFile('stereo/aws_lca_auto_repairs_40_stereo.wav');
    const { code, out } = await cli([
      'live',
      '--replay',
      file,
      '--speed',
      'max',
      '--duration',
      '10',
      '--format',
      'jsonl',
    ]);
    expect(code).toBe(0);
    const events = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as LiveEvent);
    for (const e of events) expect(LIVE_EVENT_TYPES).toContain(e.type);
    expect(events[0]).toMatchObject({ type: 'session', state: 'started' });
    expect(events.at(-1)).toMatchObject({ type: 'session', state: 'stopped' });
    const turns = events.filter((e) => e.type === 'turn');
    expect(turns.find((t) => t.channel === 'mic')).toMatchObject({ speaker: 'you', label: 'You' });
    const sys = turns.find((t) => t.channel === 'system')!;
    expect(sys.speaker).toMatch(/^S\d+$/);
    expect(sys.end_s).toBeGreaterThan(sys.start_s);
  });

  it('a missing system source is a one-line error, not a fallback to the mic', async () => {
    const { code, err } = await cli(['live', '--backend', 'pulse', '--system', 'no-such-sink.monitor']);
    expect(code).toBe(1);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/^error: /);
  });

  it('formats text lines for turns and identified speakers', () => {
    expect(
      formatLiveEvent({
        type: 'turn',
        channel: 'system',
        speaker: 'S1',
        label: 'Ann',
        start_s: 1.25,
        end_s: 3,
      }),
    ).toBe('[    1.3 –     3.0] Ann (system)');
    expect(
      formatLiveEvent({
        type: 'speaker',
        change: 'identified',
        speaker: 'S1',
        channel: 'system',
        label: 'Ann',
        t_s: 4,
        status: 'known',
        similarity: 0.8,
      }),
    ).toContain('S1 identified: Ann (similarity 0.80)');
    expect(
      formatLiveEvent({ type: 'levels', t_s: 1, mic_dbfs: -30, system_dbfs: -40, bleed_db: null }),
    ).toBeNull();
  });
});
