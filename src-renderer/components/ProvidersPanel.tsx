/**
 * Settings > Execution providers: per model role, the provider order to try (e.g. CUDA then CPU),
 * saved in the user's settings; the engine reloads its models at once and shows what each role
 * now runs on, with the reason when it fell back. Providers this install cannot use are listed
 * with the reason and cannot be chosen.
 */
import { useCallback, useEffect, useState } from 'react';

import type {
  ExecutionProviderName,
  ModelRole,
  ProviderSettings,
} from '../../src-shared/contracts/analysis.ts';
import { MODEL_ROLES } from '../../src-shared/contracts/analysis.ts';
import type { ProviderStatus } from '../../src-shared/contracts/services.ts';
import { errorText, useApp } from '../state.ts';
import { useAsyncAction } from '../use-async-action.ts';

/** A role's choice: nothing saved (environment / CPU), or one provider tried before CPU. */
type Choice = 'auto' | ExecutionProviderName;

const choiceOf = (saved: ProviderSettings | null, role: ModelRole): Choice => {
  const list = saved?.[role] ?? saved?.default;
  if (!list) return 'auto';
  return list.find((p) => p !== 'cpu') ?? 'cpu';
};

/** The Execution providers card of Settings. */
export function ProvidersPanel({
  summary,
}: {
  /** What the engine runs on now over all roles (App info), shown as the section's first line. */
  summary: { name: string; reason: string } | null;
}): React.JSX.Element {
  const conn = useApp((s) => s.conn);
  const [st, setSt] = useState<ProviderStatus | null>(null);
  const { busy, error: err, run, setError } = useAsyncAction();
  const reload = useCallback(() => {
    void conn?.models
      .providers()
      .then(setSt)
      .catch((e: unknown) => setError(errorText(e)));
  }, [conn, setError]);
  useEffect(reload, [reload]);
  const save = async (role: ModelRole, choice: Choice): Promise<void> => {
    if (!conn || !st) return;
    const next: ProviderSettings = {};
    for (const r of MODEL_ROLES) {
      const c = r === role ? choice : choiceOf(st.saved, r);
      if (c !== 'auto') next[r] = c === 'cpu' ? ['cpu'] : [c, 'cpu'];
    }
    await run(async () => setSt(await conn.models.setProviders(Object.keys(next).length ? next : null)));
  };
  return (
    <div className="card" data-testid="providers-panel">
      <h3>Execution providers</h3>
      {summary && (
        <p data-testid="execution-provider">
          Now running on <strong>{summary.name.toUpperCase()}</strong> —{' '}
          <span className="muted">{summary.reason}</span>
        </p>
      )}
      <p className="muted small-text">
        Each role tries its provider first and falls back to the CPU, with the reason shown here and in every
        result. GPU providers need onnxruntime&apos;s provider libraries on this machine (README,
        &quot;GPU&quot;).
      </p>
      {err && <div className="banner error">{err}</div>}
      <table className="table">
        <thead>
          <tr>
            <th>Role</th>
            <th>Try first</th>
            <th>Runs on now</th>
          </tr>
        </thead>
        <tbody>
          {MODEL_ROLES.map((role) => {
            const use = st?.inUse.find((u) => u.role === role);
            const p = use?.provider;
            return (
              <tr key={role} data-testid="provider-row" data-role={role}>
                <td>{role}</td>
                <td>
                  <select
                    aria-label={`Execution provider for ${role}`}
                    value={st ? choiceOf(st.saved, role) : 'auto'}
                    disabled={!st || busy !== null}
                    onChange={(e) => void save(role, e.target.value as Choice)}
                  >
                    <option value="auto">
                      automatic ({st ? st.effective[role].order.join(' → ') : 'cpu'})
                    </option>
                    {st?.available.map((a) => (
                      <option key={a.name} value={a.name} disabled={!a.usable} title={a.reason ?? undefined}>
                        {a.name === 'cpu' ? 'cpu only' : `${a.name} → cpu`}
                        {a.usable ? '' : ' (unavailable)'}
                      </option>
                    ))}
                  </select>
                </td>
                <td className="wrap" data-testid="provider-in-use">
                  {p ? `${p.name} (${use?.id}) — ${p.reason}` : use ? `${use.id}` : '—'}
                  {p?.skipped.map((x) => (
                    <div key={x.name} className="muted small-text">
                      {x.name}: {x.reason}
                    </div>
                  ))}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {st && (
        <div className="muted small-text" data-testid="providers-available">
          {st.available
            .filter((a) => !a.usable)
            .map((a) => `${a.name}: ${a.reason}`)
            .join(' · ')}
        </div>
      )}
    </div>
  );
}
