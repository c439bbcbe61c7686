import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import type { HistoryService } from '../../src-shared/contracts/history.ts';
import {
  type AnalysisEvents,
  type AnalysisService,
  type AppService,
  type JobInfo,
  type LibraryService,
  type LiveControlService,
  type LiveUiEvents,
  SERVICE,
} from '../../src-shared/contracts/services.ts';
import {
  createMemoryTransportPair,
  proxyService,
  RpcClient,
  RpcServer,
  subscribeEvent,
} from '../../src-shared/ipc/rpc.ts';
import { loadEngineModels } from '../engine/index.ts';
import { type Db, openDb } from '../store/db.ts';
import { createTmpDir, devFile, type TmpDir, useSharedModels } from '../test-support.ts';
import { FileGrants } from '../app/file-grants.ts';
import { overallProgress } from './analysis.ts';
import { pathRefRefused } from './deps.ts';
import { exposeEngineServices } from './index.ts';

let tmp: TmpDir;
let db: Db;
let client: RpcClient;
const SAMPLE = (): string => devFile('diarization/pyannote_sample.wav');
const STEREO = (): string => devFile('stereo/aws_lca_auto_repairs_40_stereo.wav');

beforeAll(async () => {
  useSharedModels();
  tmp = await createTmpDir('services');
  const dbPath = join(tmp.path, 'c.db');
  db = openDb(dbPath);
  const server = new RpcServer();
  // desktop-style path references: only files "picked" in this session (FileGrants)
  const grants = new FileGrants();
  for (const f of [SAMPLE(), STEREO(), '/nope/x.wav']) grants.record(f);
  exposeEngineServices(server, {
    models: await loadEngineModels(),
    db,
    dbPath,
    host: 'electron',
    uploadPath: () => null,
    pathAllowed: (p) => grants.allows(p),
  });
  const [a, b] = createMemoryTransportPair();
  server.connect(a);
  client = new RpcClient(b);
});
afterAll(async () => {
  db.close();
  await tmp.cleanup();
});

function waitFor(id: string, status: JobInfo['status'], seen: JobInfo[]): Promise<JobInfo> {
  return new Promise((ok) => {
    const off = subscribeEvent<AnalysisEvents, 'job'>(client, SERVICE.analysis, 'job', (j) => {
      seen.push(j);
      if (j.id === id && j.status === status) {
        off();
        ok(j);
      }
    });
  });
}

describe('engine services over the in-memory transport (real models, real recording)', () => {
  it('maps stage progress onto one monotonic bar', () => {
    expect(overallProgress('decode', 0, 10)).toBe(0);
    expect(overallProgress('segmentation', 5, 10)).toBeGreaterThan(overallProgress('vad', 10, 10));
    expect(overallProgress('export', 1, 1)).toBeLessThan(1);
  });

  it('analyses a file with progress events, stores it, enrolls a speaker and finds it again', async () => {
    const analysis = proxyService<AnalysisService>(client, SERVICE.analysis);
    const library = proxyService<LibraryService>(client, SERVICE.library);
    const history = proxyService<HistoryService>(client, SERVICE.history);
    const seen: JobInfo[] = [];
    const job = await analysis.enqueue({ file: { kind: 'path', path: SAMPLE() } });
    const done = await waitFor(job.id, 'done', seen);
    expect(seen.some((j) => j.status === 'running' && j.progress > 0 && j.progress < 1)).toBe(true);
    const { callId, result } = await analysis.result(job.id);
    expect(done.callId).toBe(callId);
    expect(result.speakers).toHaveLength(2);

    const v = await library.enrollFromCall({ callId, speakerId: 'S1', name: 'Ann', consent: 'test' });
    expect(v.embeddings[0].source).toBe(`call:${callId}/S1`);
    const again = await analysis.enqueue({ file: { kind: 'path', path: SAMPLE() } });
    await waitFor(again.id, 'done', []);
    const second = await analysis.result(again.id);
    expect(second.result.speakers.find((s) => s.id === 'S1')?.label).toBe('Ann');
    expect(second.voiceprintIds.S1).toBe(v.id);
    expect((await history.list({})).total).toBe(2);
    await library.delete(v.id);
    expect(await library.list()).toEqual([]);
  });

  it('enrolls from a file, merges, exports and re-imports the library', async () => {
    const library = proxyService<LibraryService>(client, SERVICE.library);
    const changes: number[] = [];
    const off = client.subscribe(SERVICE.library, 'changed', (p) =>
      changes.push((p as { count: number }).count),
    );
    const a = await library.enrollFromFile({
      name: 'A',
      consent: 'test',
      file: { kind: 'path', path: SAMPLE() },
    });
    const b = await library.enrollFromFile({
      name: 'B',
      consent: 'test',
      file: { kind: 'path', path: SAMPLE() },
    });
    // each enrollment keeps the voiceprint encoder's embedding and every other available one's
    expect(a.embeddings.map((e) => e.modelId)).toEqual([
      'callscope_spk_encoder_v1',
      'fbank-stats',
      'callscope_spk_encoder_v2',
    ]);
    expect((await library.list()).map((v) => v.needsReenrollment ?? null)).toEqual([null, null]);
    const merged = await library.merge(a.id, b.id);
    expect(merged.embeddings).toHaveLength(6);
    const text = await library.exportLibrary();
    expect(JSON.parse(text)).toMatchObject({ format: 'callscope-voiceprints', voiceprints: [{ name: 'A' }] });
    await library.delete(a.id);
    expect(await library.importLibrary(text)).toBe(1);
    expect((await library.list()).map((v) => v.name)).toEqual(['A']);
    // change events arrive on their own messages: wait for them, not for a fixed time
    await vi.waitFor(() => expect(changes).toEqual([1, 2, 1, 0, 1]), { timeout: 30_000 });
    off();
    await library.delete((await library.list())[0].id);
  });

  it('cancels a queued and a running job', async () => {
    const analysis = proxyService<AnalysisService>(client, SERVICE.analysis);
    const a = await analysis.enqueue({ file: { kind: 'path', path: SAMPLE() } });
    const b = await analysis.enqueue({ file: { kind: 'path', path: SAMPLE() } });
    const bCancelled = waitFor(b.id, 'cancelled', []);
    await analysis.cancel(b.id);
    await bCancelled;
    const aCancelled = waitFor(a.id, 'cancelled', []);
    await analysis.cancel(a.id);
    expect((await aCancelled).error).toBeNull();
  });

  it('remembers a live speaker during the session and another after it ended', async () => {
    const live = proxyService<LiveControlService>(client, SERVICE.live);
    const library = proxyService<LibraryService>(client, SERVICE.library);
    const changes: number[] = [];
    const offChanged = client.subscribe(SERVICE.library, 'changed', (p) =>
      changes.push((p as { count: number }).count),
    );
    let callId: number | null = null;
    let resolveHeard: (speaker: string) => void = () => undefined;
    let resolveLonger: (speaker: string) => void = () => undefined;
    // age/gender is estimated after ~3 s of a speaker's clean speech (too little to remember the
    // voice: 8 s are needed), then again after ~10 s (enough)
    const heard = new Promise<string>((ok) => (resolveHeard = ok));
    const longer = new Promise<string>((ok) => (resolveLonger = ok));
    let resolveYou: () => void = () => undefined;
    const youLonger = new Promise<void>((ok) => (resolveYou = ok));
    const attrCount = new Map<string, number>();
    const offEvent = subscribeEvent<LiveUiEvents, 'event'>(client, SERVICE.live, 'event', ({ event }) => {
      if (event.type === 'session' && event.state === 'started') callId = event.call_id;
      if (event.type === 'attributes') {
        const n = (attrCount.get(event.speaker) ?? 0) + 1;
        attrCount.set(event.speaker, n);
        if (event.speaker === 'you' && n === 2) resolveYou();
        if (!event.speaker.startsWith('S')) return;
        if (n === 1) resolveHeard(event.speaker);
        if (n === 2) resolveLonger(event.speaker);
      }
    });
    const ended = new Promise<LiveUiEvents['ended']>((ok) => {
      const off = subscribeEvent<LiveUiEvents, 'ended'>(client, SERVICE.live, 'ended', (e) => (off(), ok(e)));
    });
    const { sessionId } = await live.start({
      source: { kind: 'replay', file: { kind: 'path', path: STEREO() }, speed: 20 },
    });
    const early = await heard;
    await expect(
      live.rememberVoice({ sessionId, speaker: early, name: 'Too early', consent: 'test' }),
    ).rejects.toMatchObject({ code: 'not_enough_speech', message: /at least 8 s/ });
    const speaker = await longer;
    const caller = await live.rememberVoice({ sessionId, speaker, name: 'Live caller', consent: 'test' });
    expect(callId).not.toBeNull();
    expect(caller.embeddings).toMatchObject([
      { source: `live:${callId}/${speaker}`, modelId: 'callscope_spk_encoder_v1' },
      { source: `live:${callId}/${speaker}`, modelId: 'fbank-stats' },
    ]);
    expect(caller.embeddings[0].speechS).toBeGreaterThanOrEqual(8);
    await youLonger; // the local user has spoken ~10 s too
    const summary = await live.stop(sessionId);
    expect((await ended).summary?.callId).toBe(summary.callId);

    // after the session ended, its voices can still be remembered
    const agent = await live.rememberVoice({ sessionId, speaker: 'you', name: 'Agent', consent: 'test' });
    expect(agent.embeddings[0].source).toBe(`live:${callId}/you`);
    expect((await library.list()).map((v) => v.name).sort()).toEqual(['Agent', 'Live caller']);
    await expect(
      live.rememberVoice({ sessionId, speaker: 'S99', name: 'X', consent: 'test' }),
    ).rejects.toMatchObject({ code: 'not_found', message: /no speaker S99/ });
    await expect(
      live.rememberVoice({ sessionId: 'f'.repeat(8), speaker: 'S1', name: 'X', consent: 'test' }),
    ).rejects.toMatchObject({ code: 'not_found', message: /most recent session/ });
    await expect(
      live.rememberVoice({ sessionId, speaker: 'S1', name: 'X', consent: ' ' }),
    ).rejects.toMatchObject({ name: 'ValidationError' });
    await expect(
      client.call(SERVICE.live, 'rememberVoice', [{ sessionId, speaker: '../x', name: 'X', consent: 'y' }]),
    ).rejects.toMatchObject({ name: 'ValidationError' });
    offEvent();
    offChanged();
    expect(changes).toEqual([1, 2]);
    for (const v of await library.list()) await library.delete(v.id);
  });

  it('remembers a mic speaker L1 when the mic is diarized; refuses keys outside the grammar', async () => {
    // regression (issue 17): the contract accepted only `you|S<n>`, so "Remember this voice" was
    // refused with a ValidationError for the local speakers L1, L2, … of a diarized mic
    const live = proxyService<LiveControlService>(client, SERVICE.live);
    const library = proxyService<LibraryService>(client, SERVICE.library);
    let callId: number | null = null;
    let resolveLonger: (speaker: string) => void = () => undefined;
    const longer = new Promise<string>((ok) => (resolveLonger = ok));
    const attrCount = new Map<string, number>();
    const offEvent = subscribeEvent<LiveUiEvents, 'event'>(client, SERVICE.live, 'event', ({ event }) => {
      if (event.type === 'session' && event.state === 'started') callId = event.call_id;
      if (event.type !== 'attributes' || !event.speaker.startsWith('L')) return;
      const n = (attrCount.get(event.speaker) ?? 0) + 1;
      attrCount.set(event.speaker, n);
      if (n === 2) resolveLonger(event.speaker); // ~10 s of its clear speech: enough to enroll
    });
    const { sessionId } = await live.start({
      source: { kind: 'replay', file: { kind: 'path', path: STEREO() }, speed: 20 },
      diarizeMic: true,
    });
    const speaker = await longer;
    expect(speaker).toMatch(/^L[1-9]$/);
    const local = await live.rememberVoice({ sessionId, speaker, name: 'Local talker', consent: 'test' });
    expect(local.embeddings[0]).toMatchObject({ source: `live:${callId}/${speaker}` });
    await live.stop(sessionId);
    offEvent();
    // a well-formed key the session never heard reaches the session (not the validator)
    await expect(
      live.rememberVoice({ sessionId, speaker: 'L99', name: 'X', consent: 'test' }),
    ).rejects.toMatchObject({ code: 'not_found', message: /no speaker L99/ });
    for (const speakerKey of ['L0', 'S01', 'M1', 'l1', 'you1', 'L1 ', 'S10000', ''])
      await expect(
        client.call(SERVICE.live, 'rememberVoice', [
          { sessionId, speaker: speakerKey, name: 'X', consent: 'y' },
        ]),
        speakerKey,
      ).rejects.toMatchObject({ name: 'ValidationError', message: /speaker/ });
    for (const v of await library.list()) await library.delete(v.id);
  });

  it('rejects bad arguments and missing files with clear errors', async () => {
    const analysis = proxyService<AnalysisService>(client, SERVICE.analysis);
    await expect(analysis.enqueue({ file: { kind: 'path', path: '/nope/x.wav' } })).rejects.toThrow(
      /no such file/,
    );
    // a path the user did not pick: one generic refusal, whether or not the file exists
    for (const path of ['/etc/passwd', '/etc/no-such-file', 'relative/x.wav'])
      await expect(analysis.enqueue({ file: { kind: 'path', path } })).rejects.toMatchObject({
        code: 'not_allowed',
        message: pathRefRefused().message,
      });
    await expect(client.call(SERVICE.library, 'rename', [-1, ''])).rejects.toMatchObject({
      name: 'ValidationError',
    });
    const info = await proxyService<AppService>(client, SERVICE.app).info();
    expect(info.models.find((m) => m.id === 'silero-vad-v6')).toMatchObject({
      inUse: true,
      installed: true,
      license: 'MIT',
    });
  });
});
