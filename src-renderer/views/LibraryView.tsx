/**
 * Library: the known voices (biometric data) with search, inline rename, merge, delete with
 * confirmation, enrollment from a file, import/export of the library file; consent shown.
 */
import { useEffect, useMemo, useRef, useState } from 'react';

import type { Voiceprint } from '../../src-shared/contracts/voiceprints.ts';
import { NameConsentFields } from '../components/NameConsentFields.tsx';
import { errorText, useApp } from '../state.ts';
import { useAsyncAction } from '../use-async-action.ts';

function Row({ v, others }: { v: Voiceprint; others: Voiceprint[] }): React.JSX.Element {
  const conn = useApp((s) => s.conn)!;
  const [mode, setMode] = useState<'view' | 'rename' | 'delete' | 'merge'>('view');
  const [name, setName] = useState(v.name);
  const [mergeId, setMergeId] = useState<number | ''>('');
  const action = useAsyncAction();
  const err = action.error;
  const run = (f: () => Promise<unknown>): Promise<unknown> =>
    action.run(async () => {
      await f();
      setMode('view');
    });
  const speech = v.embeddings.reduce((s, e) => s + e.speechS, 0);
  return (
    <tr data-testid="voiceprint" data-name={v.name}>
      <td>
        {mode === 'rename' ? (
          <form onSubmit={(e) => (e.preventDefault(), void run(() => conn.library.rename(v.id, name)))}>
            <input
              autoFocus
              aria-label={`New name for ${v.name}`}
              value={name}
              onChange={(e) => setName(e.target.value)}
              onKeyDown={(e) => e.key === 'Escape' && setMode('view')}
            />
          </form>
        ) : (
          <strong>{v.name}</strong>
        )}
        {err && <div className="error-text">{err}</div>}
      </td>
      <td>
        {v.embeddings.length} {v.embeddings.length === 1 ? 'sample' : 'samples'}, {speech.toFixed(0)} s of
        speech
      </td>
      <td className="muted" title={[...new Set(v.embeddings.map((e) => e.modelId))].join(', ')}>
        {[...new Set(v.embeddings.map((e) => voiceModelName(e.modelId)))].join(', ')}
        {v.needsReenrollment && (
          <div className="tag warn" data-testid="needs-reenrollment" title={v.needsReenrollment.reason}>
            needs re-enrollment
          </div>
        )}
      </td>
      <td className="wrap">
        <div>{v.consent.how}</div>
        <div className="muted">{v.consent.givenAt.slice(0, 10)}</div>
      </td>
      <td className="actions">
        {mode === 'view' && (
          <>
            <button className="small" onClick={() => setMode('rename')}>
              Rename
            </button>
            {others.length > 0 && (
              <button className="small" onClick={() => setMode('merge')}>
                Merge…
              </button>
            )}
            <button className="small danger" onClick={() => setMode('delete')}>
              Delete
            </button>
          </>
        )}
        {mode === 'rename' && (
          <>
            <button className="small primary" onClick={() => void run(() => conn.library.rename(v.id, name))}>
              Save
            </button>
            <button className="small ghost" onClick={() => setMode('view')}>
              Cancel
            </button>
          </>
        )}
        {mode === 'merge' && (
          <>
            <select
              aria-label={`Merge into ${v.name}`}
              value={mergeId}
              onChange={(e) => setMergeId(Number(e.target.value))}
            >
              <option value="">merge which voice into this one…</option>
              {others.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
            <button
              className="small primary"
              disabled={mergeId === ''}
              onClick={() => void run(() => conn.library.merge(v.id, Number(mergeId)))}
            >
              Merge
            </button>
            <button className="small ghost" onClick={() => setMode('view')}>
              Cancel
            </button>
          </>
        )}
        {mode === 'delete' && (
          <span role="alertdialog" aria-label={`Delete ${v.name}?`}>
            Delete {v.name} for good?{' '}
            <button
              className="small danger"
              autoFocus
              onClick={() => void run(() => conn.library.delete(v.id))}
            >
              Confirm delete
            </button>
            <button className="small ghost" onClick={() => setMode('view')}>
              Cancel
            </button>
          </span>
        )}
      </td>
    </tr>
  );
}

function EnrollForm({ onDone }: { onDone: (msg: string) => void }): React.JSX.Element {
  const conn = useApp((s) => s.conn)!;
  const [name, setName] = useState('');
  const [consent, setConsent] = useState('');
  const [agreed, setAgreed] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  /** Bumped after an enrollment: remounts the file picker, the only way to empty it. */
  const [formKey, setFormKey] = useState(0);
  const { busy, run } = useAsyncAction();
  const submit = async (e: React.FormEvent): Promise<void> => {
    e.preventDefault();
    if (!file || !agreed) return;
    const outcome = await run(async () => {
      const v = await conn.library.enrollFromFile({ name, consent, file: await conn.fileRef(file) });
      onDone(`Enrolled ${v.name}`);
      // a finished enrollment leaves an empty form, so the next person's data starts clean
      setName('');
      setConsent('');
      setAgreed(false);
      setFile(null);
      setFormKey((k) => k + 1);
    }, 'Enrolling…');
    // the Library's message line shows the failure, as it shows the success
    if (!outcome.ok) onDone(outcome.error);
  };
  return (
    <form
      className="card inline-form"
      onSubmit={(e) => void submit(e)}
      aria-label="Enroll from a file"
      data-testid="enroll-form"
    >
      <strong>Enroll from a file</strong>
      <NameConsentFields
        name={name}
        consent={consent}
        agreed={agreed}
        onName={setName}
        onConsent={setConsent}
        onAgreed={setAgreed}
      />
      <input
        key={formKey}
        required
        type="file"
        accept="audio/*"
        aria-label="Recording of this one speaker"
        onChange={(e) => setFile(e.target.files?.[0] ?? null)}
      />
      <button className="primary" type="submit" disabled={busy !== null || !agreed}>
        {busy ?? 'Enroll'}
      </button>
    </form>
  );
}

/** The voice model of an embedding in the user's words (the id stays in the tooltip). */
export function voiceModelName(modelId: string): string {
  if (modelId === 'fbank-stats') return 'basic (built in)';
  if (modelId.startsWith('callscope_spk_encoder')) return 'Callscope voice model';
  if (modelId.includes('resnet') || modelId.includes('campplus')) return 'large voice model';
  return modelId;
}

export function LibraryView(): React.JSX.Element {
  const { conn, libraryVersion } = useApp();
  const [list, setList] = useState<Voiceprint[]>([]);
  const [q, setQ] = useState('');
  const [msg, setMsg] = useState<string | null>(null);
  const [confirmExport, setConfirmExport] = useState(false);
  const importInput = useRef<HTMLInputElement>(null);
  useEffect(() => {
    void conn?.library
      .list()
      .then(setList)
      .catch((e: unknown) => setMsg(errorText(e)));
  }, [conn, libraryVersion]);
  const shown = useMemo(() => list.filter((v) => v.name.toLowerCase().includes(q.toLowerCase())), [list, q]);
  if (!conn)
    return (
      <div className="view">
        <h1>Library</h1>
      </div>
    );

  const exportAll = async (): Promise<void> => {
    const text = await conn.library.exportLibrary();
    const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'callscope-voiceprints.json';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  const importFile = async (f: File): Promise<void> => {
    try {
      setMsg(`Imported ${await conn.library.importLibrary(await f.text())} voiceprint(s)`);
    } catch (e) {
      setMsg(errorText(e));
    }
  };
  return (
    <div className="view">
      <h1>Library</h1>
      <p className="muted">
        Known voices are biometric data: each is kept with the consent recorded at enrollment, and deletion is
        permanent.
      </p>
      <div className="row toolbar">
        <input
          type="search"
          placeholder="Search names"
          aria-label="Search voiceprints"
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
        <button onClick={() => importInput.current?.click()}>Import…</button>
        <input
          ref={importInput}
          type="file"
          accept=".json,application/json"
          hidden
          onChange={(e) => e.target.files?.[0] && void importFile(e.target.files[0])}
        />
        <button onClick={() => setConfirmExport(true)} disabled={!list.length || confirmExport}>
          Export library…
        </button>
      </div>
      {confirmExport && (
        <div
          className="banner error"
          role="alertdialog"
          aria-label="Export voiceprints?"
          data-testid="export-confirm"
        >
          <p>
            <strong>This file contains voiceprints (biometric data)</strong> of {list.length}{' '}
            {list.length === 1 ? 'person' : 'people'}. Anyone who has it can recognise their voices in other
            recordings. Share it only with people allowed to process this data, and keep it safe.
          </p>
          <div className="row">
            <button
              className="primary"
              autoFocus
              onClick={() => {
                setConfirmExport(false);
                void exportAll();
              }}
            >
              Export voiceprints
            </button>
            <button className="ghost" onClick={() => setConfirmExport(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {msg && (
        <div className="banner" role="status">
          {msg}
        </div>
      )}
      <EnrollForm onDone={setMsg} />
      <table className="table" data-testid="library">
        <thead>
          <tr>
            <th>Name</th>
            <th>Voice samples</th>
            <th>Voice model</th>
            <th>Consent</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {shown.map((v) => (
            <Row key={`${v.id}-${v.updatedAt}`} v={v} others={list.filter((o) => o.id !== v.id)} />
          ))}
          {!shown.length && (
            <tr>
              <td colSpan={5} className="muted empty">
                {list.length
                  ? 'No voice matches the search.'
                  : 'No known voices yet. Use “Remember this voice” on a result, or enroll from a file.'}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
