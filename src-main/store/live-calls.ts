/**
 * Persistence of a live session in the call history (src-main/store schema): the call row is
 * created when the session starts, every finalised turn is inserted in its own transaction as it
 * closes (a crash loses at most the open turns), speakers are inserted when first seen and
 * updated when identified, merged or given attributes, and `close` writes the duration, quality
 * and warnings. Until then the call's warnings say it is still open (or was interrupted).
 */
import type { ChannelQuality, ModelUse, SpeakerAttributes } from '../../src-shared/contracts/analysis.ts';
import type { LiveChannel } from '../../src-shared/contracts/live.ts';
import { insertCallModels, insertCallQuality, type SpeakerLink } from './calls.ts';
import { type Db, nowIso } from './db.ts';
import { ENGINE_SAMPLE_RATE } from '../../src-shared/contracts/audio.ts';
import { round } from '../../src-shared/math.ts';

/** Warning stored while the session runs; replaced on close (left there if the process died). */
export const OPEN_CALL_WARNING =
  'live session not closed (interrupted): turns up to the last closed one are kept';

/** Writes one live call. */
export class LiveCallWriter {
  readonly callId: number;
  private readonly speakers = new Set<string>();
  private durationS = 0;

  /**
   * Creates the call row.
   * @param title shown in the history (e.g. the devices or the replayed file).
   */
  constructor(
    private readonly db: Db,
    title: string,
    models: ModelUse[],
    provider: { name: string; reason: string },
  ) {
    const now = nowIso();
    this.callId = db.transaction(() => {
      const id = Number(
        db
          .prepare(
            `INSERT INTO calls (source, title, started_at, duration_s, source_channels, source_sample_rate, channels,
               execution_provider, execution_provider_reason, rtf, timings, warnings, created_at)
             VALUES ('live', ?, ?, 0, 2, ?, '["mic","system"]', ?, ?, 0, '{}', ?, ?)`,
          )
          .run(
            title,
            now,
            ENGINE_SAMPLE_RATE,
            provider.name,
            provider.reason,
            JSON.stringify([OPEN_CALL_WARNING]),
            now,
          ).lastInsertRowid,
      );
      insertCallModels(db, id, models);
      return id;
    })();
  }

  /** Records a speaker (idempotent). */
  speaker(key: string, label: string, channel: LiveChannel): void {
    if (this.speakers.has(key)) return;
    this.speakers.add(key);
    this.db
      .prepare(
        `INSERT OR IGNORE INTO call_speakers (call_id, speaker_key, label, channel, speech_s, attributes, id_status)
         VALUES (?, ?, ?, ?, 0, ?, 'unknown')`,
      )
      .run(this.callId, key, label, channel, JSON.stringify({ status: 'not_run', speechUsedS: 0 }));
  }

  /** Inserts a finalised turn (and its speaker), updating speech time and call duration. */
  turn(
    key: string,
    label: string,
    channel: LiveChannel,
    startS: number,
    endS: number,
    overlap: boolean,
  ): void {
    this.durationS = Math.max(this.durationS, endS);
    this.db.transaction(() => {
      this.speaker(key, label, channel);
      this.db
        .prepare(
          'INSERT INTO turns (call_id, speaker_key, start_s, end_s, channel, overlap) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(this.callId, key, round3(startS), round3(endS), channel, overlap ? 1 : 0);
      this.db
        .prepare('UPDATE call_speakers SET speech_s = speech_s + ? WHERE call_id = ? AND speaker_key = ?')
        .run(round3(endS - startS), this.callId, key);
      this.db
        .prepare('UPDATE calls SET duration_s = ? WHERE id = ?')
        .run(round3(this.durationS), this.callId);
    })();
  }

  /** Stores an identification (label shown when no voiceprint name applies, link, similarity). */
  identify(key: string, link: SpeakerLink): void {
    this.db
      .prepare(
        'UPDATE call_speakers SET label = ?, voiceprint_id = ?, id_status = ?, similarity = ? WHERE call_id = ? AND speaker_key = ?',
      )
      .run(link.label, link.voiceprintId, link.status, link.similarity, this.callId, key);
  }

  /** Stores a speaker's attributes. */
  attributes(key: string, attrs: SpeakerAttributes): void {
    this.db
      .prepare('UPDATE call_speakers SET attributes = ? WHERE call_id = ? AND speaker_key = ?')
      .run(JSON.stringify(attrs), this.callId, key);
  }

  /** Moves the turns and speech time of speaker `from` to `into` and removes `from`. */
  merge(from: string, into: string, label: string, channel: LiveChannel): void {
    this.db.transaction(() => {
      this.speaker(into, label, channel);
      const row = this.db
        .prepare('SELECT speech_s FROM call_speakers WHERE call_id = ? AND speaker_key = ?')
        .get(this.callId, from) as { speech_s: number } | undefined;
      this.db
        .prepare('UPDATE turns SET speaker_key = ? WHERE call_id = ? AND speaker_key = ?')
        .run(into, this.callId, from);
      this.db
        .prepare('UPDATE call_speakers SET speech_s = speech_s + ? WHERE call_id = ? AND speaker_key = ?')
        .run(row?.speech_s ?? 0, this.callId, into);
      this.db
        .prepare('DELETE FROM call_speakers WHERE call_id = ? AND speaker_key = ?')
        .run(this.callId, from);
    })();
    this.speakers.delete(from);
  }

  /** Closes the call: final duration, quality per channel, warnings and timings. */
  close(
    durationS: number,
    quality: ChannelQuality[],
    warnings: string[],
    rtf: number,
    timingsMs: Record<string, number>,
  ): void {
    this.db.transaction(() => {
      this.db
        .prepare('UPDATE calls SET duration_s = ?, warnings = ?, rtf = ?, timings = ? WHERE id = ?')
        .run(
          round3(Math.max(durationS, this.durationS)),
          JSON.stringify(warnings),
          rtf,
          JSON.stringify(timingsMs),
          this.callId,
        );
      insertCallQuality(this.db, this.callId, quality);
    })();
  }
}

const round3 = (v: number): number => round(v, 3);
