/**
 * One-line descriptions of the execution provider each role ran on, for the CLI text output and
 * the result view: `embedding: cpu (cuda unavailable: libonnxruntime_providers_cuda.so not installed …)`.
 * Pure TypeScript.
 */
import type { ModelRole, ModelUse, ProviderUse } from '../contracts/analysis.ts';

/**
 * `role: provider`, followed in brackets by why earlier providers were skipped, if any.
 * Results stored before providers were recorded (no `provider`) read `role: unknown`. A
 * model-free backend (provider `none`, e.g. `fbank-stats`) is named by its model id:
 * `embedding: fbank-stats (model-free backend, TypeScript on the CPU)`.
 * @param modelId the role's model id, named for model-free backends.
 */
export function providerLine(role: ModelRole, p: ProviderUse | undefined, modelId?: string): string {
  if (!p) return `${role}: unknown`;
  if (p.name === 'none') return `${role}: ${modelId ?? 'none'} (model-free backend, TypeScript on the CPU)`;
  const why = p.skipped.map((s) => `${s.name} unavailable: ${s.reason}`).join('; ');
  return why ? `${role}: ${p.name} (${why})` : `${role}: ${p.name}`;
}

/** {@link providerLine} for every model of a result that records a provider, in role order. */
export function providerLines(models: readonly ModelUse[]): string[] {
  return models.filter((m) => m.provider).map((m) => providerLine(m.role, m.provider, m.id));
}

/**
 * Summary over roles for `AnalysisResult.executionProvider`: the distinct providers used (e.g.
 * `cpu`, or `cuda+cpu` when roles differ) and `default` when every role ran on CPU without
 * anything else being asked for; otherwise the per-role lines of the roles that were not default.
 */
export function providerSummary(models: readonly ModelUse[]): { name: string; reason: string } {
  const used = models.filter((m) => m.provider && m.provider.name !== 'none');
  const names = [...new Set(used.map((m) => m.provider!.name))];
  const notDefault = used.filter((m) => m.provider!.reason !== 'default');
  return {
    name: names.length ? names.join('+') : 'cpu',
    reason: notDefault.length
      ? notDefault.map((m) => providerLine(m.role, m.provider, m.id)).join('; ')
      : 'default',
  };
}
