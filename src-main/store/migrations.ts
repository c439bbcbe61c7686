/**
 * Versioned schema migrations. `PRAGMA user_version` holds the schema version; migration `i`
 * (1-based) upgrades version `i − 1` to `i`. Migrations are append-only: never edit a released
 * one, add a new one. Each runs in its own transaction with the version bump, so a crash leaves
 * the database at a whole version.
 */

/** One schema migration. */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'calls, per-call models, quality, speakers and turns',
    sql: `
      CREATE TABLE calls (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        title TEXT NOT NULL,
        started_at TEXT NOT NULL,
        duration_s REAL NOT NULL,
        source_channels INTEGER NOT NULL,
        source_sample_rate INTEGER NOT NULL,
        channels TEXT NOT NULL,
        execution_provider TEXT NOT NULL,
        execution_provider_reason TEXT NOT NULL,
        rtf REAL NOT NULL,
        timings TEXT NOT NULL,
        warnings TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE call_models (
        call_id INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
        role TEXT NOT NULL,
        model_id TEXT NOT NULL,
        version TEXT NOT NULL,
        sha256 TEXT,
        PRIMARY KEY (call_id, role)
      );
      CREATE TABLE call_quality (
        call_id INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
        channel TEXT NOT NULL,
        clipping_ratio REAL NOT NULL,
        rms_dbfs REAL NOT NULL,
        speech_dbfs REAL,
        snr_db REAL,
        speech_ratio REAL NOT NULL,
        flags TEXT NOT NULL,
        PRIMARY KEY (call_id, channel)
      );
      CREATE TABLE call_speakers (
        call_id INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
        speaker_key TEXT NOT NULL,
        label TEXT NOT NULL,
        channel TEXT NOT NULL,
        speech_s REAL NOT NULL,
        attributes TEXT NOT NULL,
        PRIMARY KEY (call_id, speaker_key)
      );
      CREATE TABLE turns (
        id INTEGER PRIMARY KEY,
        call_id INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
        speaker_key TEXT NOT NULL,
        start_s REAL NOT NULL,
        end_s REAL NOT NULL,
        channel TEXT NOT NULL,
        overlap INTEGER NOT NULL
      );
      CREATE INDEX turns_by_call ON turns(call_id, start_s);
    `,
  },
  {
    version: 2,
    description: 'voiceprints with consent and embeddings tagged with the encoder model; speaker links',
    sql: `
      CREATE TABLE voiceprints (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        notes TEXT NOT NULL DEFAULT '',
        consent_given_at TEXT NOT NULL,
        consent_how TEXT NOT NULL CHECK (length(trim(consent_how)) > 0),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE voiceprint_embeddings (
        id INTEGER PRIMARY KEY,
        voiceprint_id INTEGER NOT NULL REFERENCES voiceprints(id) ON DELETE CASCADE,
        model_id TEXT NOT NULL,
        model_version TEXT NOT NULL,
        dim INTEGER NOT NULL,
        vector BLOB NOT NULL CHECK (length(vector) = 4 * dim),
        source TEXT NOT NULL,
        speech_s REAL NOT NULL,
        snr_db REAL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX embeddings_by_model ON voiceprint_embeddings(model_id, model_version);
      CREATE INDEX embeddings_by_voiceprint ON voiceprint_embeddings(voiceprint_id);
      ALTER TABLE call_speakers ADD COLUMN voiceprint_id INTEGER REFERENCES voiceprints(id) ON DELETE SET NULL;
      ALTER TABLE call_speakers ADD COLUMN id_status TEXT NOT NULL DEFAULT 'unknown';
      ALTER TABLE call_speakers ADD COLUMN similarity REAL;
      CREATE INDEX call_speakers_by_voiceprint ON call_speakers(voiceprint_id);
    `,
  },
  {
    version: 3,
    description: 'history listing index, opt-in raw audio path, settings',
    sql: `
      CREATE INDEX calls_by_start ON calls(started_at DESC, id DESC);
      ALTER TABLE calls ADD COLUMN audio_path TEXT;
      CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
  },
  {
    version: 4,
    description: 'execution provider per model role of a call (JSON ProviderUse; null for older calls)',
    sql: `
      ALTER TABLE call_models ADD COLUMN provider TEXT;
    `,
  },
  {
    version: 5,
    description:
      'stable voiceprint ids (uid, kept by export/import so importing a file twice adds nothing; null for ' +
      'voiceprints made before: a content id is derived, store/voiceprints.ts voiceprintUid)',
    sql: `
      ALTER TABLE voiceprints ADD COLUMN uid TEXT;
      CREATE UNIQUE INDEX voiceprints_by_uid ON voiceprints(uid) WHERE uid IS NOT NULL;
    `,
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
