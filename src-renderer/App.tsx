/** The app shell: connection, navigation (keyboard-reachable), theme, and the current view. */
import { useEffect, useRef, useState } from 'react';

import { connect } from './bridge.ts';
import { errorText, useApp, type View } from './state.ts';
import { FilesView } from './views/FilesView.tsx';
import { HistoryView } from './views/HistoryView.tsx';
import { LibraryView } from './views/LibraryView.tsx';
import { LiveView } from './views/LiveView.tsx';
import { SettingsView } from './views/SettingsView.tsx';

const NAV: { view: View; label: string; key: string }[] = [
  { view: 'files', label: 'Files', key: '1' },
  { view: 'live', label: 'Live', key: '2' },
  { view: 'library', label: 'Library', key: '3' },
  { view: 'history', label: 'History', key: '4' },
  { view: 'settings', label: 'Settings', key: '5' },
];

/** First reconnection delay and its cap, ms (doubling in between). */
const RECONNECT_FIRST_MS = 1000;
const RECONNECT_MAX_MS = 30_000;

/** The engine-lost banner: what happened, when the next try is, what happens to new work. */
function EngineBanner({ error, retry }: { error: string; retry: () => void }): React.JSX.Element {
  const reconnect = useApp((s) => s.reconnect);
  const pending = useApp((s) => s.pendingFiles.length);
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, []);
  const inS = reconnect ? Math.max(0, Math.ceil((reconnect.atMs - Date.now()) / 1000)) : 0;
  return (
    <div className="banner error" role="alert" data-testid="engine-banner">
      <strong>Engine offline.</strong> {error}{' '}
      {reconnect && (
        <span data-testid="reconnect">
          Reconnecting {inS > 0 ? `in ${inS} s` : 'now'} (attempt {reconnect.attempt}).{' '}
        </span>
      )}
      Files you add wait here and are analysed when it is back
      {pending > 0 ? ` (${pending} waiting)` : ''}; live sessions and library changes need the engine.{' '}
      <button className="small" onClick={retry}>
        Retry now
      </button>
    </div>
  );
}

export function App(): React.JSX.Element {
  const { conn, connError, view, theme, setView, setTheme, setConn, upsertJob, setResult, bumpLibrary } =
    useApp();
  const retryNow = useRef<() => void>(() => undefined);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);

  useEffect(() => {
    let cancelled = false;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const app = useApp.getState;
    /** Tries again after 1, 2, 4, 8, 16, 30, 30 … s (exponential backoff, capped). */
    const schedule = (why: string): void => {
      if (cancelled) return;
      const delayMs = Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** attempt);
      attempt += 1;
      setConn(null, why);
      app().setReconnect({ attempt, atMs: Date.now() + delayMs });
      timer = setTimeout(open, delayMs);
    };
    const open = (): void => {
      clearTimeout(timer);
      connect()
        .then((c) => {
          if (cancelled) return;
          attempt = 0;
          c.onJob((j) => {
            upsertJob(j);
            if (j.status === 'done') void c.analysis.result(j.id).then((r) => setResult(j.id, r));
          });
          c.onLibraryChanged(() => bumpLibrary());
          c.onClose(() => schedule('The connection to the Callscope engine was lost.'));
          void c.analysis.jobs().then((js) => js.forEach(upsertJob));
          setConn(c);
          app().setReconnect(null);
          // files added while the engine was away go out now, in the order they were added
          void (async () => {
            for (const f of app().takePending()) {
              try {
                upsertJob(
                  await c.analysis.enqueue({ file: await c.fileRef(f), options: app().analyzeOptions }),
                );
              } catch (e) {
                app().addPending([f]);
                setConn(c, `${f.name}: ${errorText(e)}`);
              }
            }
          })();
        })
        .catch((e: unknown) => schedule(`Cannot reach the Callscope engine (${errorText(e)}).`));
    };
    retryNow.current = open;
    open();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [setConn, upsertJob, setResult, bumpLibrary]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (!e.altKey) return;
      const item = NAV.find((n) => n.key === e.key);
      if (item) {
        e.preventDefault();
        setView(item.view);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [setView]);

  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <span className="logo" aria-hidden="true">
            ◉
          </span>{' '}
          Callscope
        </div>
        <ul>
          {NAV.map((n) => (
            <li key={n.view}>
              <button
                className={view === n.view ? 'nav active' : 'nav'}
                aria-current={view === n.view ? 'page' : undefined}
                onClick={() => setView(n.view)}
                title={`Alt+${n.key}`}
              >
                {n.label}
              </button>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot">
          <button
            className="ghost"
            onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}
            aria-label="Toggle theme"
          >
            {theme === 'dark' ? '☀ Light theme' : '☾ Dark theme'}
          </button>
          <div className={conn ? 'conn ok' : 'conn'} role="status">
            {conn ? `engine connected (${conn.kind})` : connError ? 'engine offline' : 'connecting…'}
          </div>
        </div>
      </nav>
      <main className="content" id="main">
        {connError && !conn && <EngineBanner error={connError} retry={() => retryNow.current()} />}
        {connError && conn && (
          <div className="banner error" role="alert">
            {connError}
          </div>
        )}
        {view === 'files' && <FilesView />}
        {view === 'live' && <LiveView />}
        {view === 'library' && <LibraryView />}
        {view === 'history' && <HistoryView />}
        {view === 'settings' && <SettingsView />}
      </main>
    </div>
  );
}
