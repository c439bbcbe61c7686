/** Test fixtures of the store tests (also imported by the crash-test child process). */
import type { AnalysisResult } from '../../src-shared/contracts/analysis.ts';

/** The embedding model every fixture embedding and result names: id `test-enc`, version `1`. */
export const TEST_MODEL = { id: 'test-enc', version: '1' } as const;
const MODEL = TEST_MODEL;

/** A Float32Array of the given values (test embeddings are 2–4 dimensional). */
export const vec = (...v: number[]): Float32Array => Float32Array.from(v);

/**
 * One enrollment embedding of the test model, as `createVoiceprint`/`addEmbeddings` take it.
 * @param v the vector (any dimension).
 * @param speechS seconds of speech behind it (default 10); SNR is fixed at 20 dB, source `test`.
 */
export const emb = (v: Float32Array, speechS = 10) => ({
  modelId: MODEL.id,
  modelVersion: MODEL.version,
  vector: v,
  source: 'test',
  speechS,
  snrDb: 20,
});

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
