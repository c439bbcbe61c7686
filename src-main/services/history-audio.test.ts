/**
 * History playback (issue 15, point 12): a call's audio can be played back only when it was kept
 * (the user's opt-in); a clip is real 16 kHz mono WAV decoded by ffmpeg from the kept file, at
 * most MAX_AUDIO_CLIP_S long, and deleting the call deletes the kept audio.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MAX_AUDIO_CLIP_S } from '../../src-shared/contracts/history.ts';
import { saveCall } from '../store/calls.ts';
import { openDb } from '../store/db.ts';
import { fakeResult } from '../store/fixtures.ts';
import { createTmpDir, DEV_DATA_DIR, type TmpDir } from '../test-support.ts';
import { callAudioDir, History } from './history.ts';

let tmp: TmpDir;
beforeAll(async () => {
  tmp = await createTmpDir('history-audio');
});
afterAll(() => tmp.cleanup());

describe('History.audioClip', () => {
  it('refuses calls whose audio was not kept, plays kept audio, deletes it with the call', async () => {
    const dbPath = join(tmp.path, 'h.db');
    const db = openDb(dbPath);
    const r = fakeResult('sample.wav', 40); // 80 s long
    const callId = saveCall(db, r, {});
    const history = new History(db, dbPath);
    await expect(history.audioClip(callId, 1, 3)).rejects.toMatchObject({ code: 'not_kept' });

    mkdirSync(callAudioDir(dbPath), { recursive: true });
    const kept = join(callAudioDir(dbPath), `${callId}.wav`);
    copyFileSync(join(DEV_DATA_DIR, 'diarization', 'pyannote_sample.wav'), kept);
    const clip = await history.audioClip(callId, 2, 4.5);
    expect(clip).toMatchObject({ mime: 'audio/wav', startS: 2, endS: 4.5 });
    const wav = Buffer.from(clip.base64, 'base64');
    expect(wav.subarray(0, 4).toString()).toBe('RIFF');
    expect(wav.readUInt32LE(24)).toBe(16_000);
    // 2.5 s of 16 kHz 16-bit mono, give or take one ffmpeg frame
    expect(Math.abs(wav.readUInt32LE(40) - 2.5 * 32_000)).toBeLessThan(2 * 1024);
    const long = await history.audioClip(callId, 0, 70);
    expect(long.endS - long.startS).toBe(MAX_AUDIO_CLIP_S);
    await expect(history.audioClip(callId, 5, 5)).rejects.toMatchObject({ code: 'bad_request' });

    await history.delete(callId);
    expect(existsSync(kept)).toBe(false);
    db.close();
  });
});
