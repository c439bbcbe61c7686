/** Files: drop or pick recordings, a queue with progress and cancel, the selected job's result. */
import { useRef, useState } from 'react';

import { ResultPanel } from '../components/ResultPanel.tsx';
import { errorText, hideUploadPaths, useApp } from '../state.ts';

export function FilesView(): React.JSX.Element {
  const {
    conn,
    jobs,
    results,
    selectedJob,
    select,
    upsertJob,
    analyzeOptions,
    pendingFiles,
    addPending,
    keepFile,
    keepAudio,
    audioFiles,
  } = useApp();
  const [over, setOver] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const add = async (files: FileList | File[]): Promise<void> => {
    setError(null);
    if (!conn) {
      // the engine is away: keep the files and send them when it is back (App reconnects)
      addPending(Array.from(files));
      return;
    }
    for (const f of Array.from(files)) {
      try {
        const ref = await conn.fileRef(f);
        const job = await conn.analysis.enqueue({ file: ref, options: analyzeOptions, keepAudio });
        keepFile(job.id, f);
        upsertJob(job);
      } catch (e) {
        setError(`${f.name}: ${errorText(e)}`);
      }
    }
  };
  const shown = selectedJob ? results[selectedJob] : undefined;

  return (
    <div className="view">
      <h1>Files</h1>
      <div
        className={over ? 'dropzone over' : 'dropzone'}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          void add(e.dataTransfer.files);
        }}
      >
        <p>Drop call recordings here (WAV, MP3, M4A, OGG, FLAC…)</p>
        <button className="primary" onClick={() => input.current?.click()}>
          Choose files…
        </button>
        <input
          ref={input}
          type="file"
          accept="audio/*,video/*,.wav,.mp3,.m4a,.ogg,.opus,.flac"
          multiple
          hidden
          onChange={(e) => e.target.files && void add(e.target.files)}
          data-testid="file-input"
        />
        <p className="muted small-text">
          Nothing leaves this machine: files are analysed by the local engine.
        </p>
      </div>
      {error && (
        <div className="banner error" role="alert">
          {error}
        </div>
      )}
      {pendingFiles.length > 0 && (
        <ul className="queue" aria-label="Waiting for the engine" data-testid="pending">
          {pendingFiles.map((f, i) => (
            <li key={`${i}:${f.name}`} className="job queued" data-testid="pending-file">
              <span className="job-name">{f.name}</span>
              <span className="job-status muted">waiting for the engine to reconnect</span>
            </li>
          ))}
        </ul>
      )}
      {jobs.length > 0 && (
        <ul className="queue" aria-label="Analysis queue" data-testid="queue">
          {[...jobs].reverse().map((j) => (
            <li key={j.id} className={`job ${j.status}`} data-testid="job" data-status={j.status}>
              <button
                title={j.name}
                className="job-name linkish"
                onClick={() => select(j.id)}
                disabled={j.status !== 'done'}
                aria-pressed={selectedJob === j.id}
              >
                {j.name}
              </button>
              <div
                className="progress"
                role="progressbar"
                aria-label={`Progress of ${j.name}`}
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={Math.round(100 * j.progress)}
              >
                <div className="bar" style={{ width: `${Math.round(100 * j.progress)}%` }} />
              </div>
              <span className="job-status">
                {j.status === 'running' ? `${j.stage ?? ''} ${Math.round(100 * j.progress)}%` : j.status}
                {j.error && <span className="error-text"> — {hideUploadPaths(j.error)}</span>}
              </span>
              {(j.status === 'queued' || j.status === 'running') && (
                <button
                  className="small"
                  onClick={() => void conn?.analysis.cancel(j.id)}
                  aria-label={`Cancel ${j.name}`}
                >
                  Cancel
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {shown && (
        <ResultPanel
          result={shown.result}
          callId={shown.callId}
          known={shown.voiceprintIds}
          audio={audioFiles[selectedJob!] ? { kind: 'file', file: audioFiles[selectedJob!] } : null}
        />
      )}
    </div>
  );
}
