/**
 * Call history repository: saves an {@link AnalysisResult} (turns, speakers with attributes,
 * quality per channel, models, execution provider) in one transaction; lists pages with search;
 * opens a call with speaker names resolved at read time from the voiceprint library (renaming or
 * merging a voiceprint relabels past calls); deletes with cascade; exports JSON/RTTM/CSV.
 */
import type {
  AnalysisResult,
  ChannelQuality,
  ChannelRole,
  ModelUse,
  ProviderUse,
  Speaker,
  Turn,
} from '../../src-shared/contracts/analysis.ts';
import type {
  CallSummary,
  HistoryPage,
  HistoryQuery,
  StoredCall,
} from '../../src-shared/contracts/history.ts';
import type { IdentificationStatus } from '../../src-shared/contracts/voiceprints.ts';
import { exportResult, type ExportFormat } from '../../src-shared/formats/exports.ts';
import { type Db, nowIso, StoreError } from './db.ts';

/** How one speaker of a call was identified (stored with the call). */
export interface SpeakerLink {
  voiceprintId: number | null;
  status: IdentificationStatus;
  /** Label to show when no voiceprint name applies, e.g. `Unknown 1`. */
  label: string;
  similarity: number | null;
}

/** Options of {@link saveCall}. */
export interface SaveCallOptions {
  /** `file:<absolute path>` or `live`. Default `file:<result.file>`. */
  source?: string;
  /** ISO 8601; default now. */
  startedAt?: string;
  /** Identification per speaker id of the result. */
  links?: Map<string, SpeakerLink>;
}

/**
 * Records the models of a call, each with the execution provider it ran on (file analysis and
 * live sessions both write them here).
 */
export function insertCallModels(db: Db, callId: number, models: readonly ModelUse[]): void {
  const ins = db.prepare(
    'INSERT OR REPLACE INTO call_models (call_id, role, model_id, version, sha256, provider) VALUES (?, ?, ?, ?, ?, ?)',
  );
  for (const m of models)
    ins.run(callId, m.role, m.id, m.version, m.sha256, m.provider ? JSON.stringify(m.provider) : null);
}

/** Records (or replaces) the quality of each channel of a call (file analysis and live sessions). */
export function insertCallQuality(db: Db, callId: number, quality: readonly ChannelQuality[]): void {
  const ins = db.prepare(
    `INSERT OR REPLACE INTO call_quality (call_id, channel, clipping_ratio, rms_dbfs, speech_dbfs, snr_db, speech_ratio, flags)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const q of quality)
    ins.run(
      callId,
      q.channel,
      q.clippingRatio,
      q.rmsDbfs,
      q.speechDbfs,
      q.snrDb,
      q.speechRatio,
      JSON.stringify(q.flags),
    );
}

/**
 * Saves a result as a new call, atomically.
 * @returns the new call id.
 */
export function saveCall(db: Db, r: AnalysisResult, opts: SaveCallOptions = {}): number {
  const insCall = db.prepare(
    `INSERT INTO calls (source, title, started_at, duration_s, source_channels, source_sample_rate, channels,
       execution_provider, execution_provider_reason, rtf, timings, warnings, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insSpeaker = db.prepare(
    `INSERT INTO call_speakers (call_id, speaker_key, label, channel, speech_s, attributes, voiceprint_id, id_status, similarity)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insTurn = db.prepare(
    'INSERT INTO turns (call_id, speaker_key, start_s, end_s, channel, overlap) VALUES (?, ?, ?, ?, ?, ?)',
  );
  return db.transaction((): number => {
    const now = nowIso();
    const callId = Number(
      insCall.run(
        opts.source ?? `file:${r.file}`,
        r.file,
        opts.startedAt ?? now,
        r.durationS,
        r.sourceChannels,
        r.sourceSampleRate,
        JSON.stringify(r.channels),
        r.executionProvider.name,
        r.executionProvider.reason,
        r.rtf,
        JSON.stringify(r.timingsMs),
        JSON.stringify(r.warnings),
        now,
      ).lastInsertRowid,
    );
    insertCallModels(db, callId, r.models);
    insertCallQuality(db, callId, r.quality);
    for (const s of r.speakers) {
      const link = opts.links?.get(s.id);
      insSpeaker.run(
        callId,
        s.id,
        link?.label ?? s.label,
        s.channel,
        s.speechS,
        JSON.stringify(s.attributes),
        link?.voiceprintId ?? null,
        link?.status ?? 'unknown',
        link?.similarity ?? null,
      );
    }
    for (const t of r.turns) insTurn.run(callId, t.speakerId, t.startS, t.endS, t.channel, t.overlap ? 1 : 0);
    return callId;
  })();
}

interface CallRow {
  id: number;
  source: string;
  title: string;
  started_at: string;
  duration_s: number;
  source_channels: number;
  speaker_count: number;
  turn_count: number;
  speakers: string | null;
}

/** Resolved label: the voiceprint's current name for a known speaker, else the stored label. */
const RESOLVED_LABEL = `CASE WHEN s.id_status = 'known' AND v.name IS NOT NULL THEN v.name ELSE s.label END`;

const SUMMARY_COLUMNS = `c.id, c.source, c.title, c.started_at, c.duration_s, c.source_channels,
  (SELECT COUNT(*) FROM call_speakers s WHERE s.call_id = c.id) AS speaker_count,
  (SELECT COUNT(*) FROM turns t WHERE t.call_id = c.id) AS turn_count,
  (SELECT json_group_array(${RESOLVED_LABEL}) FROM call_speakers s
     LEFT JOIN voiceprints v ON v.id = s.voiceprint_id WHERE s.call_id = c.id) AS speakers`;

const toSummary = (row: CallRow): CallSummary => ({
  id: row.id,
  source: row.source,
  title: row.title,
  startedAt: row.started_at,
  durationS: row.duration_s,
  channels: row.source_channels,
  speakerCount: row.speaker_count,
  turnCount: row.turn_count,
  speakers: row.speakers ? (JSON.parse(row.speakers) as string[]) : [],
});

/**
 * One page of the history, newest first. `search` matches title, source and speaker names
 * (case-insensitive substring).
 */
export function listCalls(db: Db, q: HistoryQuery = {}): HistoryPage {
  const limit = Math.min(500, Math.max(1, Math.floor(q.limit ?? 50)));
  const offset = Math.max(0, Math.floor(q.offset ?? 0));
  const search = q.search?.trim();
  const where = search
    ? `WHERE c.title LIKE @pat ESCAPE '\\' OR c.source LIKE @pat ESCAPE '\\' OR EXISTS (
         SELECT 1 FROM call_speakers s LEFT JOIN voiceprints v ON v.id = s.voiceprint_id
         WHERE s.call_id = c.id AND (${RESOLVED_LABEL}) LIKE @pat ESCAPE '\\')`
    : '';
  const params = search ? { pat: `%${search.replace(/[\\%_]/g, (m) => '\\' + m)}%` } : {};
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM calls c ${where}`).get(params) as { n: number }).n;
  const rows = db
    .prepare(
      `SELECT ${SUMMARY_COLUMNS} FROM calls c ${where} ORDER BY c.started_at DESC, c.id DESC LIMIT @limit OFFSET @offset`,
    )
    .all({ ...params, limit, offset }) as CallRow[];
  return { total, offset, calls: rows.map(toSummary) };
}

/**
 * Opens a stored call as an analysis result, with speaker labels resolved from the library.
 * @throws StoreError `not_found`.
 */
export function getCall(db: Db, id: number): StoredCall {
  const row = db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM calls c WHERE c.id = ?`).get(id) as
    CallRow | undefined;
  if (!row) throw new StoreError('not_found', `no call with id ${id}`);
  const call = db.prepare('SELECT * FROM calls WHERE id = ?').get(id) as Record<string, unknown>;
  const models = (
    db
      .prepare(
        'SELECT role, model_id AS id, version, sha256, provider FROM call_models WHERE call_id = ? ORDER BY rowid',
      )
      .all(id) as (Omit<ModelUse, 'provider'> & { provider: string | null })[]
  ).map(({ provider, ...m }): ModelUse =>
    provider ? { ...m, provider: JSON.parse(provider) as ProviderUse } : m,
  );
  const quality = (
    db.prepare('SELECT * FROM call_quality WHERE call_id = ? ORDER BY rowid').all(id) as Record<
      string,
      unknown
    >[]
  ).map((q) => ({
    channel: q.channel as ChannelRole,
    clippingRatio: q.clipping_ratio as number,
    rmsDbfs: q.rms_dbfs as number,
    speechDbfs: q.speech_dbfs as number | null,
    snrDb: q.snr_db as number | null,
    speechRatio: q.speech_ratio as number,
    flags: JSON.parse(q.flags as string) as AnalysisResult['quality'][number]['flags'],
  }));
  const spRows = db
    .prepare(
      `SELECT s.*, ${RESOLVED_LABEL} AS resolved FROM call_speakers s
       LEFT JOIN voiceprints v ON v.id = s.voiceprint_id WHERE s.call_id = ? ORDER BY s.rowid`,
    )
    .all(id) as Record<string, unknown>[];
  const speakers: Speaker[] = spRows.map((s) => ({
    id: s.speaker_key as string,
    label: s.resolved as string,
    channel: s.channel as ChannelRole,
    speechS: s.speech_s as number,
    attributes: JSON.parse(s.attributes as string) as Speaker['attributes'],
  }));
  const turns = (
    db
      .prepare(
        'SELECT speaker_key, start_s, end_s, channel, overlap FROM turns WHERE call_id = ? ORDER BY start_s, end_s, id',
      )
      .all(id) as Record<string, unknown>[]
  ).map((t): Turn => ({
    startS: t.start_s as number,
    endS: t.end_s as number,
    speakerId: t.speaker_key as string,
    channel: t.channel as ChannelRole,
    overlap: t.overlap === 1,
  }));
  const result: AnalysisResult = {
    schemaVersion: 1,
    file: call.title as string,
    durationS: call.duration_s as number,
    sourceChannels: call.source_channels as number,
    sourceSampleRate: call.source_sample_rate as number,
    channels: JSON.parse(call.channels as string) as ChannelRole[],
    models,
    executionProvider: {
      name: call.execution_provider as string,
      reason: call.execution_provider_reason as string,
    },
    quality,
    speakers,
    turns,
    timingsMs: JSON.parse(call.timings as string) as AnalysisResult['timingsMs'],
    rtf: call.rtf as number,
    warnings: JSON.parse(call.warnings as string) as string[],
  };
  const voiceprintIds: Record<string, number | null> = {};
  for (const s of spRows) voiceprintIds[s.speaker_key as string] = (s.voiceprint_id as number | null) ?? null;
  return { summary: toSummary(row), result, voiceprintIds };
}

/**
 * Deletes a call and (cascade) its turns, speakers, quality and model rows.
 * @throws StoreError `not_found`.
 */
export function deleteCall(db: Db, id: number): void {
  const n = db.prepare('DELETE FROM calls WHERE id = ?').run(id).changes;
  if (!n) throw new StoreError('not_found', `no call with id ${id}`);
}

/** Serialises a stored call (labels resolved) as JSON, RTTM or CSV (src-shared/formats/exports). */
export function exportCall(db: Db, id: number, format: ExportFormat): string {
  const { result } = getCall(db, id);
  const fileId = result.file.replace(/\.[^.]*$/, '').replace(/\s+/g, '_') || `call${id}`;
  return exportResult(result, format, fileId);
}
