/**
 * Settings > Models: every model of the manifest by role with its state (bundled, installed,
 * available, missing, verify failed), license and size; install from a file (uploaded to the
 * engine) or, on an explicit click, download with progress; verify all; remove an installed
 * optional model. Which of these a row offers comes from the model manager (`ModelStatus.actions`),
 * never from rules restated here. Non-commercial licenses and files without a known sha256 need an
 * explicit confirmation before either install button is enabled. Nothing starts by itself.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

import type {
  ModelsEvents,
  ModelState,
  ModelStatus,
  ModelVerifyResult,
} from '../../src-shared/contracts/services.ts';
import { errorText, useApp } from '../state.ts';
import { useAsyncAction } from '../use-async-action.ts';

const size = (b: number | null): string =>
  b === null
    ? 'unknown'
    : !b
      ? '—'
      : b < 100_000
        ? `${Math.round(b / 1024)} KB`
        : `${(b / 1024 / 1024).toFixed(1)} MB`;

const STATE_LABEL: Record<ModelState, string> = {
  bundled: 'bundled',
  installed: 'installed',
  external: 'found',
  available: 'available',
  missing: 'missing',
  'verify-failed': 'verify failed',
};
const STATE_CLASS: Record<ModelState, string> = {
  bundled: 'tag ok',
  installed: 'tag ok',
  external: 'tag ok',
  available: 'tag',
  missing: 'tag warn',
  'verify-failed': 'tag warn',
};

function InstallForm({ m, onDone }: { m: ModelStatus; onDone: () => void }): React.JSX.Element {
  const conn = useApp((s) => s.conn)!;
  const [license, setLicense] = useState(false);
  const [trust, setTrust] = useState(false);
  const { busy, error: err, run } = useAsyncAction();
  const [progress, setProgress] = useState<ModelsEvents['progress'] | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const ready = (!m.requiresLicenseAcceptance || license) && (m.sha256 !== null || trust);
  const flags = {
    ...(m.requiresLicenseAcceptance ? { acceptLicense: license } : {}),
    ...(m.sha256 === null ? { acceptUnverified: trust } : {}),
  };
  useEffect(() => conn.onModels('progress', (p) => p.id === m.id && setProgress(p)), [conn, m.id]);
  const fromFile = (file: File | undefined): void => {
    if (!file) return;
    void run(async () => {
      await conn.models.installFromFile({ id: m.id, file: await conn.fileRef(file), ...flags });
      onDone();
    }, 'Installing…');
  };
  const download = (): void =>
    void run(async () => {
      await conn.models.download({ id: m.id, ...flags });
      onDone();
    }, 'Downloading…');
  const pct = progress?.totalBytes ? Math.round((100 * progress.receivedBytes) / progress.totalBytes) : null;
  return (
    <div data-testid="model-install" style={{ display: 'flex', flexDirection: 'column', gap: 8 }}>
      {m.requiresLicenseAcceptance && (
        <label className="radio">
          <input
            type="checkbox"
            checked={license}
            onChange={(e) => setLicense(e.target.checked)}
            aria-label={`Accept the ${m.license} license of ${m.id}`}
          />
          <span>
            I have read and accept the <strong>{m.license}</strong> license
            {m.licenseUrl && <span className="mono"> ({m.licenseUrl})</span>}
            {m.license.includes('NC') && ': non-commercial use only'}.
          </span>
        </label>
      )}
      {m.sha256 === null && (
        <label className="radio">
          <input
            type="checkbox"
            checked={trust}
            onChange={(e) => setTrust(e.target.checked)}
            aria-label={`Trust an unverified file for ${m.id}`}
          />{' '}
          No sha256 is known for this model: I trust the file I choose (its hash is recorded and checked from
          then on).
        </label>
      )}
      {m.notes && <p className="muted small-text">{m.notes}</p>}
      <div className="row">
        <input
          ref={input}
          type="file"
          accept=".onnx"
          hidden
          aria-label={`Model file for ${m.id}`}
          onChange={(e) => fromFile(e.target.files?.[0])}
        />
        <button
          className="small primary"
          disabled={!ready || busy !== null}
          onClick={() => input.current?.click()}
        >
          Install from file…
        </button>
        {m.actions.includes('download') && (
          <button className="small" disabled={!ready || busy !== null} onClick={download}>
            {m.partialBytes ? 'Resume download' : 'Download'} ({size(m.bytes)})
          </button>
        )}
        {busy && <span className="muted">{busy}</span>}
      </div>
      {busy === 'Downloading…' && progress && (
        <div
          className="progress"
          role="progressbar"
          aria-label={`Download of ${m.id}`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={pct ?? undefined}
        >
          <div className="bar" style={{ width: `${pct ?? 0}%` }} />
        </div>
      )}
      {err && (
        <div className="error-text" role="alert">
          {err}
        </div>
      )}
    </div>
  );
}

function Row({ m, reload }: { m: ModelStatus; reload: () => void }): React.JSX.Element {
  const conn = useApp((s) => s.conn)!;
  const [mode, setMode] = useState<'view' | 'install' | 'remove'>('view');
  const { error: err, run } = useAsyncAction();
  const canInstall = m.actions.includes('install');
  const canRemove = m.actions.includes('remove');
  const canUse = m.actions.includes('use');
  const use = (): Promise<unknown> =>
    run(async () => {
      await conn.models.use(m.id);
      reload();
    });
  const remove = (): Promise<unknown> =>
    run(async () => {
      await conn.models.remove(m.id);
      setMode('view');
      reload();
    });
  return (
    <>
      <tr
        data-testid="model-row"
        data-id={m.id}
        data-state={m.state}
        data-active={m.active ? 'true' : 'false'}
        className={m.active ? 'in-use' : ''}
      >
        <td>{m.role}</td>
        <td className="wrap">
          {m.id} {m.isDefault && <span className="tag">default</span>}{' '}
          {m.active && <span className="tag">in use</span>}
          <div className="mono muted small-text" style={{ wordBreak: 'break-all' }}>
            {m.file ?? '(built in)'}
          </div>
        </td>
        <td className="wrap">
          {m.license}
          {m.requiresLicenseAcceptance && (
            <div className="muted">
              {m.licenseAcceptedAt ? `accepted ${m.licenseAcceptedAt.slice(0, 10)}` : 'needs acceptance'}
            </div>
          )}
        </td>
        <td>{size(m.bytes)}</td>
        <td className="wrap">
          <span className={STATE_CLASS[m.state]} title={m.error ?? undefined}>
            {STATE_LABEL[m.state]}
          </span>
          {m.state === 'external' && (
            <div className="muted">
              {m.origin === 'models-dir' ? 'from CALLSCOPE_MODELS_DIR' : 'from an npm package'}
            </div>
          )}
          {m.error && <div className="error-text">{m.error}</div>}
          {err && <div className="error-text">{err}</div>}
        </td>
        <td className="actions">
          {canUse && mode === 'view' && (
            <button
              className="small"
              onClick={() => void use()}
              title={`Use ${m.id} for ${m.role} in the next analyses and live sessions`}
            >
              Use
            </button>
          )}
          {canInstall && mode !== 'install' && (
            <button className="small" onClick={() => setMode('install')}>
              Install…
            </button>
          )}
          {mode === 'install' && (
            <button className="small ghost" onClick={() => setMode('view')}>
              Close
            </button>
          )}
          {canRemove && mode === 'view' && (
            <button className="small danger" onClick={() => setMode('remove')}>
              Remove
            </button>
          )}
          {mode === 'remove' && (
            <>
              <button className="small danger" onClick={() => void remove()}>
                Delete {m.file}
              </button>
              <button className="small ghost" onClick={() => setMode('view')}>
                Cancel
              </button>
            </>
          )}
        </td>
      </tr>
      {mode === 'install' && (
        <tr>
          <td colSpan={6} className="wrap">
            <InstallForm
              m={m}
              onDone={() => {
                setMode('view');
                reload();
              }}
            />
          </td>
        </tr>
      )}
    </>
  );
}

/** The Models card of Settings. */
export function ModelsPanel(): React.JSX.Element {
  const conn = useApp((s) => s.conn);
  const [models, setModels] = useState<ModelStatus[] | null>(null);
  const [verify, setVerify] = useState<ModelVerifyResult[] | null>(null);
  const { busy, error: err, run, setError } = useAsyncAction();
  const reload = useCallback(() => {
    void conn?.models
      .list()
      .then(setModels)
      .catch((e: unknown) => setError(errorText(e)));
  }, [conn, setError]);
  useEffect(reload, [reload]);
  useEffect(() => conn?.onModels('changed', reload), [conn, reload]);
  const runVerify = async (): Promise<void> => {
    if (!conn) return;
    await run(async () => {
      setVerify(await conn.models.verify());
      reload();
    }, 'Verifying…');
  };
  const failed = verify?.filter((r) => !r.ok) ?? [];
  return (
    <div className="card" data-testid="models-panel">
      <div className="row toolbar">
        <h3>Models</h3>
        <button className="small" disabled={busy !== null || !conn} onClick={() => void runVerify()}>
          {busy ?? 'Verify all'}
        </button>
      </div>
      <p className="muted small-text">
        Optional models are installed only when you ask: from a file you choose, or by a download you start.
        Every file is checked against its sha256 before it is used.
      </p>
      {err && <div className="banner error">{err}</div>}
      {verify && (
        <div className={failed.length ? 'banner error' : 'banner'} data-testid="verify-result" role="status">
          {failed.length
            ? failed.map((f) => (
                <div key={f.id}>
                  {f.id}: {f.error}
                </div>
              ))
            : `All ${verify.length} model files verified.`}
        </div>
      )}
      <table className="table" data-testid="models">
        <thead>
          <tr>
            <th>Role</th>
            <th>Model (file)</th>
            <th>License</th>
            <th>Size</th>
            <th>Status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {models?.map((m) => (
            <Row key={m.id} m={m} reload={reload} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
