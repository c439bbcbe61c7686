/**
 * Settings: models per role (state, license, size; install, verify, remove, use: ModelsPanel),
 * execution providers (summary and per-role order: ProvidersPanel), thresholds, data.
 */
import { useEffect, useState } from 'react';

import type { AppInfo } from '../../src-shared/contracts/services.ts';
import { ModelsPanel } from '../components/ModelsPanel.tsx';
import { ProvidersPanel } from '../components/ProvidersPanel.tsx';
import { errorText, useApp } from '../state.ts';

export function SettingsView(): React.JSX.Element {
  const {
    conn,
    theme,
    setTheme,
    analyzeOptions: opts,
    setAnalyzeOptions,
    keepAudio,
    setKeepAudio,
  } = useApp();
  const num = (v: string): number | undefined => (v.trim() === '' ? undefined : Number(v));
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [err, setErr] = useState<string | null>(null);
  useEffect(() => {
    const load = (): void =>
      void conn?.app
        .info()
        .then(setInfo)
        .catch((e: unknown) => setErr(errorText(e)));
    load();
    // a model or provider change reloads the engine: show what it runs on now
    return conn?.onModels('changed', load);
  }, [conn]);
  return (
    <div className="view">
      <h1>Settings</h1>
      {err && <div className="banner error">{err}</div>}
      <div className="grid2">
        <div className="card">
          <h3>Appearance</h3>
          <div className="row" role="radiogroup" aria-label="Theme">
            {(['dark', 'light'] as const).map((t) => (
              <label key={t} className="radio">
                <input type="radio" name="theme" checked={theme === t} onChange={() => setTheme(t)} />{' '}
                {t === 'dark' ? 'Dark' : 'Light'}
              </label>
            ))}
          </div>
        </div>
        <div className="card">
          <h3>Privacy</h3>
          <label className="consent-check">
            <input
              type="checkbox"
              checked={keepAudio}
              onChange={(e) => setKeepAudio(e.target.checked)}
              data-testid="keep-audio"
            />
            Keep call audio so History can play back who spoke
          </label>
          <p className="muted small-text">
            Off: recordings are deleted right after analysis and only results are kept. On: a copy of each
            recording analysed from now on stays in the data folder until you delete the call.
          </p>
        </div>
      </div>
      <div className="card">
        <h3>Analysis</h3>
        <div className="row toolbar">
          <label>
            Channels{' '}
            <select
              value={opts.channels ?? 'auto'}
              onChange={(e) =>
                setAnalyzeOptions({ ...opts, channels: e.target.value as NonNullable<typeof opts.channels> })
              }
            >
              <option value="auto">auto (2 channels = mic, system)</option>
              <option value="mic,system">mic, system</option>
              <option value="system,mic">system, mic</option>
              <option value="mono">mono (down-mix)</option>
            </select>
          </label>
          <label>
            Speakers{' '}
            <input
              type="number"
              min={1}
              max={20}
              placeholder="auto"
              style={{ width: 80 }}
              value={opts.numSpeakers ?? ''}
              onChange={(e) => setAnalyzeOptions({ ...opts, numSpeakers: num(e.target.value) })}
            />
          </label>
          <label>
            Clustering threshold (cosine distance){' '}
            <input
              type="number"
              min={0}
              max={2}
              step={0.01}
              placeholder="default"
              style={{ width: 100 }}
              value={opts.clusteringThreshold ?? ''}
              onChange={(e) => setAnalyzeOptions({ ...opts, clusteringThreshold: num(e.target.value) })}
            />
          </label>
          <button className="ghost small" onClick={() => setAnalyzeOptions({})}>
            Reset to defaults
          </button>
        </div>
        <p className="muted small-text">Applies to recordings added from now on.</p>
      </div>
      <ModelsPanel />
      <ProvidersPanel summary={info?.executionProvider ?? null} />
      {info && (
        <div className="grid2">
          <div className="card">
            <h3>Thresholds</h3>
            <dl className="kv">
              <dt>Voice identification ({info.thresholds.identification.modelId})</dt>
              <dd>
                cosine ≥ {info.thresholds.identification.threshold}, margin{' '}
                {info.thresholds.identification.margin}
              </dd>
              <dt>Clustering</dt>
              <dd>
                {opts.clusteringThreshold ??
                  info.thresholds.clusteringThreshold ??
                  'engine default (tuned on the dev set)'}
              </dd>
            </dl>
          </div>
          <div className="card">
            <h3>Data</h3>
            <dl className="kv">
              <dt>Data folder</dt>
              <dd className="mono">{info.dataFolder}</dd>
              <dt>Database</dt>
              <dd className="mono">{info.dbPath}</dd>
              <dt>Retention</dt>
              <dd>{info.retention}</dd>
              <dt>Version</dt>
              <dd>
                {info.version} ({info.host})
              </dd>
            </dl>
          </div>
        </div>
      )}
    </div>
  );
}
