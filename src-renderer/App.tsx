/** The app shell: connection, navigation (keyboard-reachable), theme, and the current view. */
import { useEffect } from 'react';

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

export function App(): React.JSX.Element {
  const { conn, connError, view, theme, setView, setTheme, setConn, upsertJob, setResult, bumpLibrary } =
    useApp();

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);

  useEffect(() => {
    let cancelled = false;
    connect()
      .then((c) => {
        if (cancelled) return;
        c.onJob((j) => {
          upsertJob(j);
          if (j.status === 'done') void c.analysis.result(j.id).then((r) => setResult(j.id, r));
        });
        c.onLibraryChanged(() => bumpLibrary());
        c.onClose(() =>
          setConn(null, 'The connection to the Callscope engine was lost. Restart it and reload this page.'),
        );
        void c.analysis.jobs().then((js) => js.forEach(upsertJob));
        setConn(c);
      })
      .catch((e: unknown) => setConn(null, errorText(e)));
    return () => {
      cancelled = true;
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
        {connError && (
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
