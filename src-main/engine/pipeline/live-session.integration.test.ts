/**
 * Live sessions on replayed dev stereo calls (real models, unpaced replay): local and remote
 * speech where the RTTM says, speaker counts, turns written to the store as they close, and no
 * turn lost when the source ends abruptly. (An integration test of the whole stack: it wires the
 * store in through the service layer, which engine code itself never imports.)
 */
import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Turn } from '../../../src-shared/contracts/analysis.ts';
import type { LiveEvent } from '../../../src-shared/contracts/live.ts';
import { parseRttm, type SpeakerSegment } from '../../../src-shared/formats/rttm.ts';
import { diarizationErrorRate } from '../eval/der.ts';
import { ReplaySource } from '../../capture/replay.ts';
import { getCall } from '../../store/calls.ts';
import { createVoiceprint } from '../../store/voiceprints.ts';
import { computeFbank } from '../audio/fbank.ts';
import { decodeStream, probeAudio } from '../audio/ffmpeg.ts';
import { openDb } from '../../store/db.ts';
import { createTmpDir, devFile, ffmpeg, type TmpDir, useSharedModels } from '../../test-support.ts';
import { type EngineModels, loadEngineModels } from './analyze-file.ts';
import { LiveSession } from './live-session.ts';
import { OPEN_CALL_WARNING } from '../../store/live-calls.ts';
import { liveStoreOf } from '../../services/live-store.ts';

let models: EngineModels;
let tmp: TmpDir;

const refOf = (name: string): SpeakerSegment[] =>
  parseRttm(readFileSync(devFile(`stereo/${name}.rttm`), 'utf8')).get(name)!;

/** Seconds of `a` covered by `b` (both lists of intervals; b merged). */
function covered(a: { start: number; end: number }[], b: { start: number; end: number }[]): number {
  let s = 0;
  for (const x of a) for (const y of b) s += Math.max(0, Math.min(x.end, y.end) - Math.max(x.start, y.start));
  return s;
}
const dur = (xs: { start: number; end: number }[]): number => xs.reduce((s, x) => s + x.end - x.start, 0);
const iv = (turns: Turn[]) => turns.map((t) => ({ start: t.startS, end: t.endS }));

async function replay(
  file: string,
  opts: { maxS?: number; db?: ReturnType<typeof openDb>; diarizeMic?: boolean } = {},
) {
  const session = new LiveSession(models, {
    store: opts.db ? liveStoreOf(opts.db) : null,
    diarizeMic: opts.diarizeMic,
  });
  const events: LiveEvent[] = [];
  session.on((e) => events.push(e));
  const summary = await session.run(new ReplaySource([file], { speed: Infinity, maxS: opts.maxS }));
  return { session, events, summary };
}

describe('live session on replayed dev calls', () => {
  beforeAll(async () => {
    useSharedModels();
    models = await loadEngineModels();
    tmp = await createTmpDir('live');
  });
  afterAll(() => tmp.cleanup());

  it('ami constructed call: the local user on the mic, three remote speakers on the system channel', async () => {
    const name = 'ami_ES2004_1min_constructed_2ch';
    const { session, summary, events } = await replay(devFile(`stereo/${name}.wav`));
    const ref = refOf(name);
    const you = session.turns.filter((t) => t.channel === 'mic');
    const sys = session.turns.filter((t) => t.channel === 'system');
    const refLocal = ref.filter((r) => r.speaker === 'FEE013');
    const refRemote = ref.filter((r) => r.speaker !== 'FEE013');
    // local speech found where the RTTM says (recall), and little of it elsewhere (precision)
    expect(covered(refLocal, iv(you)) / dur(refLocal)).toBeGreaterThan(0.8);
    expect(covered(iv(you), refLocal) / dur(iv(you))).toBeGreaterThan(0.8);
    expect(covered(refRemote, iv(sys)) / dur(refRemote)).toBeGreaterThan(0.7);
    expect(covered(iv(sys), refRemote) / dur(iv(sys))).toBeGreaterThan(0.8);
    // speaker counts: "you" + 2..4 remote speakers with real speech (3 in the reference)
    const remote = summary.speakers.filter((s) => s.channel === 'system' && s.speechS >= 1);
    expect(summary.speakers.some((s) => s.id === 'you')).toBe(true);
    expect(remote.length).toBeGreaterThanOrEqual(2);
    expect(remote.length).toBeLessThanOrEqual(4);
    // typed events: every turn_start is followed by its turn; summaries never exceed 20 Hz of audio
    const starts = events.filter((e) => e.type === 'turn_start').length;
    expect(events.filter((e) => e.type === 'turn').length).toBe(starts);
    expect(events.filter((e) => e.type === 'vad' || e.type === 'levels').length).toBeLessThanOrEqual(20 * 60);
    // within one speaker, turns never overlap
    for (const k of new Set(session.turns.map((t) => t.speakerId))) {
      const ts = session.turns.filter((t) => t.speakerId === k).sort((a, b) => a.startS - b.startS);
      for (let i = 1; i < ts.length; i++) expect(ts[i].startS).toBeGreaterThanOrEqual(ts[i - 1].endS - 1e-6);
    }
  });

  it('aws call cut abruptly inside a remote turn: the open turn is closed and stored, the call closed', async () => {
    const name = 'aws_lca_auto_repairs_40_stereo';
    const db = openDb(`${tmp.path}/live.db`);
    const turnsInDbDuringRun: number[] = [];
    // the caller speaks 10.14–13.28 s: stop the source at 12 s, mid-turn
    const session = new LiveSession(models, { store: liveStoreOf(db) });
    // a remote speaker's voice at the moment it appears: no speech of it yet, nothing to enroll
    let atNew: ReturnType<LiveSession['speakerEmbedding']> | null = null;
    const clean = new Map<string, number>();
    session.on((e) => {
      if (e.type === 'speaker' && e.change === 'new') atNew ??= session.speakerEmbedding(e.speaker);
      if (e.type === 'turn') {
        clean.set(e.speaker, e.clean_speech_s!);
        const n = db.prepare('SELECT COUNT(*) AS n FROM turns WHERE call_id = ?').get(session.callId) as {
          n: number;
        };
        turnsInDbDuringRun.push(n.n);
      }
    });
    const summary = await session.run(
      new ReplaySource([devFile(`stereo/${name}.wav`)], { speed: Infinity, maxS: 12 }),
    );
    // each turn was in the store when its event went out (written as it closed)
    expect(turnsInDbDuringRun).toEqual(turnsInDbDuringRun.map((_, i) => i + 1));
    const last = session.turns.filter((t) => t.channel === 'system').at(-1)!;
    expect(last.startS).toBeLessThan(10.8);
    expect(last.endS).toBeGreaterThan(11.5);
    expect(last.endS).toBeLessThanOrEqual(12.001);
    const stored = getCall(db, summary.callId!);
    expect(stored.result.turns.length).toBe(session.turns.length);
    expect(stored.result.warnings).not.toContain(OPEN_CALL_WARNING);
    expect(stored.result.durationS).toBeCloseTo(12, 0);
    expect(stored.summary.source).toBe('live');
    // local speech (agent 0.4–6.0 s) on the mic, one remote speaker
    expect(session.turns.some((t) => t.channel === 'mic' && t.startS < 1 && t.endS > 5)).toBe(true);
    expect(summary.speakers.filter((s) => s.channel === 'system' && s.speechS > 1).length).toBe(1);
    // "remember this voice" after the session: embeddings of the speech heard, per speaker
    expect(await atNew).toBeNull();
    const caller = await session.speakerEmbedding('S1');
    const agent = await session.speakerEmbedding('you');
    expect(caller).toMatchObject({ channel: 'system' });
    expect(agent).toMatchObject({ channel: 'mic' });
    // one embedding per encoder, the voiceprint encoder's first
    expect(caller!.embeddings[0]).toMatchObject({ modelId: models.voiceprintEmbedder.use.id });
    expect(caller!.embeddings[0].vector).toHaveLength(models.voiceprintEmbedder.dim);
    expect(caller!.seconds).toBeGreaterThan(1);
    expect(agent!.seconds).toBeGreaterThan(3);
    expect(caller!.embeddings[0].vector).not.toEqual(agent!.embeddings[0].vector);
    // the turn events tell the UI the clear speech that enrollment will use (it enables
    // "remember this voice" on it; talk time can be longer: overlap, steps without evidence)
    expect(clean.get('S1')).toBe(caller!.seconds);
    expect(clean.get('you')).toBe(agent!.seconds);
    const talkS1 = session.turns
      .filter((t) => t.speakerId === 'S1')
      .reduce((a, t) => a + t.endS - t.startS, 0);
    expect(clean.get('S1')!).toBeLessThanOrEqual(talkS1 + 0.05);
    await expect(session.speakerEmbedding('S9')).rejects.toMatchObject({ code: 'not_found' });
    db.close();
  });

  it('two files of different length: the shorter channel is reported lost, the session goes on', async () => {
    const src = devFile('stereo/aws_lca_auto_repairs_40_stereo.wav');
    const mic = `${tmp.path}/mic.wav`;
    const sys = `${tmp.path}/sys.wav`;
    ffmpeg(['-i', src, '-t', '4', '-af', 'pan=mono|c0=c0', mic]);
    ffmpeg(['-i', src, '-t', '9', '-af', 'pan=mono|c0=c1', sys]);
    const session = new LiveSession(models);
    const events: LiveEvent[] = [];
    session.on((e) => events.push(e));
    const summary = await session.run(new ReplaySource([mic, sys], { speed: Infinity }));
    expect(events.find((e) => e.type === 'device' && e.state === 'lost')).toMatchObject({ channel: 'mic' });
    expect(summary.durationS).toBeGreaterThan(8.9);
    // the agent's turn that the mic file cuts at 4 s is kept, ending at the cut
    const you = session.turns.filter((t) => t.channel === 'mic');
    expect(you.length).toBeGreaterThan(0);
    expect(you.at(-1)!.endS).toBeLessThanOrEqual(4.1);
    expect(you.at(-1)!.endS).toBeGreaterThan(3.5);
  });

  it('with a store: names a known remote voice from the voiceprint library as evidence accumulates', async () => {
    const name = 'aws_lca_auto_repairs_40_stereo';
    const file = devFile(`stereo/${name}.wav`);
    // enroll the caller from later in the call (60–120 s of the system channel)
    const probe = await probeAudio(file);
    const parts: Float32Array[] = [];
    let n = 0;
    for await (const block of decodeStream(file, probe, { channels: 'keep' })) {
      if (n >= 60 * 16000 && n < 120 * 16000) parts.push(block[1]);
      n += block[1].length;
    }
    const caller = new Float32Array(parts.reduce((k, p) => k + p.length, 0));
    parts.reduce((o, p) => (caller.set(p, o), o + p.length), 0);
    // identification uses the voiceprint encoder (models.voiceprintEmbedder), not the diarization's
    const enc = models.voiceprintEmbedder.use;
    const db = openDb(`${tmp.path}/voices.db`);
    const vpId = createVoiceprint(db, { name: 'Caller', consentHow: 'test fixture' }, [
      {
        modelId: enc.id,
        modelVersion: enc.version,
        vector: await models.voiceprintEmbedder.embed(computeFbank(caller)),
        source: 'test',
        speechS: 60,
        snrDb: null,
      },
    ]);
    const { events, summary } = await (async () => {
      const session = new LiveSession(models, { store: liveStoreOf(db) });
      const ev: LiveEvent[] = [];
      session.on((e) => ev.push(e));
      return {
        events: ev,
        summary: await session.run(new ReplaySource([file], { speed: Infinity, maxS: 30 })),
      };
    })();
    // (the model-free fbank-stats baseline also finds the agent's mic voice close to the caller's;
    // the mic speaker stays "You" and only carries the name in brackets)
    const named = events.find((e) => e.type === 'speaker' && e.channel === 'system' && e.label === 'Caller');
    expect(named, JSON.stringify(events.filter((e) => e.type === 'speaker'))).toMatchObject({
      speaker: 'S1',
      status: 'known',
    });
    const speakerEvents = events.filter((e) => e.type === 'speaker');
    for (const e of speakerEvents.filter((x) => x.channel === 'mic')) expect(e.label).toMatch(/^You/);
    const stored = getCall(db, summary.callId!);
    expect(Object.values(stored.voiceprintIds)).toContain(vpId);
    db.close();
  });

  it('several people on the mic (diarizeMic): the local speakers are told apart, bleed-free', async () => {
    // the constructed AMI call with its channels swapped: three people (MEO015, MEE014, FEE016)
    // share the "mic", one (FEE013) is remote
    const name = 'ami_ES2004_1min_constructed_2ch';
    const swapped = `${tmp.path}/swapped.wav`;
    ffmpeg(['-i', devFile(`stereo/${name}.wav`), '-af', 'pan=stereo|c0=c1|c1=c0', swapped]);
    const refLocal = refOf(name).filter((r) => r.speaker !== 'FEE013');
    const micDer = (turns: Turn[]) =>
      diarizationErrorRate(
        refLocal,
        turns
          .filter((t) => t.channel === 'mic')
          .map((t) => ({ start: t.startS, end: t.endS, speaker: t.speakerId })),
      );
    const single = await replay(swapped);
    const multi = await replay(swapped, { diarizeMic: true });
    const local = multi.summary.speakers.filter((s) => s.channel === 'mic');
    expect(local.every((s) => /^L\d+$/.test(s.id) && s.label.startsWith('Local '))).toBe(true);
    expect(local.filter((s) => s.speechS >= 5).length).toBeGreaterThanOrEqual(2);
    expect(multi.summary.speakers.some((s) => s.id === 'you')).toBe(false);
    // one "you" for three people scores the confusion of all but one; diarizing the mic cuts it
    const d1 = micDer(single.session.turns);
    const d2 = micDer(multi.session.turns);
    expect(d2.confusion).toBeLessThan(0.5 * d1.confusion);
    expect(d2.der).toBeLessThan(d1.der - 0.1);
    // the remote speaker is still diarized on the system channel
    expect(multi.summary.speakers.some((s) => s.channel === 'system' && s.speechS >= 10)).toBe(true);
  });
});
