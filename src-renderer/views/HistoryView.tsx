/** History: past calls from the store with search, open (full result) and delete with confirmation. */
import { useCallback, useEffect, useState } from 'react';

import type { HistoryPage, StoredCall } from '../../src-shared/contracts/history.ts';
import { ResultPanel } from '../components/ResultPanel.tsx';
import { errorText, hideUploadPaths, useApp } from '../state.ts';
import { formatClock } from '../timeline-model.ts';

/**
 * "You" first, then names, then `Unknown N` by number (the store lists them in key order); a live
 * call's provisional `Speaker N` reads `Unknown N`, as in the call itself (timeline-model.ts).
 */
function speakerList(labels: string[]): string {
  const rank = (l: string): number => (l.startsWith('You') ? 0 : l.startsWith('Unknown') ? 2 : 1);
  return labels
    .map((l) => l.replace(/^Speaker (\d+)$/, 'Unknown $1'))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b, undefined, { numeric: true }))
    .join(', ');
}

export function HistoryView(): React.JSX.Element {
  const { conn, jobs, libraryVersion } = useApp();
  const [page, setPage] = useState<HistoryPage | null>(null);
  const [q, setQ] = useState('');
  const [open, setOpen] = useState<StoredCall | null>(null);
  const [confirm, setConfirm] = useState<number | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const done = jobs.filter((j) => j.status === 'done').length;
  const load = useCallback(() => {
    void conn?.history
      .list({ limit: 100, search: q || undefined })
      .then(setPage)
      .catch((e: unknown) => setErr(errorText(e)));
  }, [conn, q]);
  useEffect(load, [load, done, libraryVersion]);
  if (!conn)
    return (
      <div className="view">
        <h1>History</h1>
      </div>
    );
  const remove = async (id: number): Promise<void> => {
    await conn.history.delete(id);
    setConfirm(null);
    if (open?.summary.id === id) setOpen(null);
    load();
  };
  return (
    <div className="view">
      <h1>History</h1>
      <div className="row toolbar">
        <input
          type="search"
          placeholder="Search title or speaker"
          aria-label="Search calls"
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
        <span className="muted">{page ? `${page.total} call(s)` : ''}</span>
      </div>
      {err && <div className="banner error">{err}</div>}
      <div className="table-scroll">
        <table className="table fixed" data-testid="history">
          <colgroup>
            <col style={{ width: '28%' }} />
            <col style={{ width: '17%' }} />
            <col style={{ width: '9%' }} />
            <col />
            <col style={{ width: '190px' }} />
          </colgroup>
          <thead>
            <tr>
              <th>Call</th>
              <th>When</th>
              <th>Duration</th>
              <th>Speakers</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {page?.calls.map((c) => (
              <tr key={c.id} data-testid="call" aria-selected={open?.summary.id === c.id}>
                <td className="clip" title={hideUploadPaths(c.title)}>
                  <strong>{hideUploadPaths(c.title)}</strong>
                </td>
                <td>{new Date(c.startedAt).toLocaleString()}</td>
                <td>{formatClock(c.durationS)}</td>
                <td className="clip" title={speakerList(c.speakers)} data-testid="call-speakers">
                  {c.speakers.length} · {speakerList(c.speakers)}
                </td>
                <td className="actions">
                  <button className="small" onClick={() => void conn.history.open(c.id).then(setOpen)}>
                    Open
                  </button>
                  {confirm === c.id ? (
                    <>
                      <button className="small danger" autoFocus onClick={() => void remove(c.id)}>
                        Confirm delete
                      </button>
                      <button className="small ghost" onClick={() => setConfirm(null)}>
                        Cancel
                      </button>
                    </>
                  ) : (
                    <button className="small danger" onClick={() => setConfirm(c.id)}>
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
            {page && !page.calls.length && (
              <tr>
                <td colSpan={5} className="muted empty">
                  No calls yet. Analysed recordings appear here.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {open && (
        <ResultPanel
          result={open.result}
          callId={open.summary.id}
          known={open.voiceprintIds}
          audio={{ kind: 'history', callId: open.summary.id }}
        />
      )}
    </div>
  );
}
