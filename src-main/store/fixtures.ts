/** Test fixtures of the store tests (also imported by the crash-test child process). */
import type { AnalysisResult } from '../../src-shared/contracts/analysis.ts';

const MODEL = { id: 'test-enc', version: '1' };

/** A small 2-speaker result with `turns` alternating turns, embedding model `test-enc` 1. */
export function fakeResult(file = 'call.wav', turns = 4): AnalysisResult {
  return {
    schemaVersion: 1,
    file,
    durationS: turns * 2,
    sourceChannels: 1,
    sourceSampleRate: 16000,
    channels: ['mono'],
    models: [{ role: 'embedding', id: MODEL.id, version: MODEL.version, sha256: null }],
    executionProvider: { name: 'cpu', reason: 'test' },
    quality: [
      {
        channel: 'mono',
        clippingRatio: 0,
        rmsDbfs: -20,
        speechDbfs: -18,
        snrDb: 25,
        speechRatio: 0.8,
        flags: [],
      },
    ],
    speakers: [
      {
        id: 'S1',
        label: 'Speaker 1',
        channel: 'mono',
        speechS: 4,
        attributes: { status: 'not_run', speechUsedS: 0 },
      },
      {
        id: 'S2',
        label: 'Speaker 2',
        channel: 'mono',
        speechS: 4,
        attributes: { status: 'not_run', speechUsedS: 0 },
      },
    ],
    turns: Array.from({ length: turns }, (_, i) => ({
      startS: 2 * i,
      endS: 2 * i + 1.5,
      speakerId: i % 2 ? 'S2' : 'S1',
      channel: 'mono' as const,
      overlap: false,
    })),
    timingsMs: { total: 1 },
    rtf: 0.01,
    warnings: [],
  };
}
