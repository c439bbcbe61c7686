/**
 * The models service behind Settings > Models (src-shared/contracts/services.ts `ModelsService`):
 * the engine's model manager (src-main/engine/inference/model-manager.ts) with uploads resolved,
 * download progress as `progress` events (≤ 10 Hz per model) and `changed` after every install or
 * removal. A download starts only when the UI calls `download` (an explicit user action).
 */
import { rm } from 'node:fs/promises';

import {
  SERVICE,
  type ModelInstallOptions,
  type ModelsEvents,
  type ModelsService,
  type ModelStatus,
  type ModelVerifyResult,
  type FileRef,
  type ProviderStatus,
} from '../../src-shared/contracts/services.ts';
import type { ProviderSettings } from '../../src-shared/contracts/analysis.ts';
import {
  downloadModel,
  installFromFile,
  listModels,
  providerStatus,
  removeModel,
  saveProviderSettings,
  useModel,
  verifyModels,
} from '../engine/inference/model-manager.ts';
import { loadEngineModels } from '../engine/index.ts';
import { type EngineServiceDeps, resolveFileRef } from './services.ts';

/** {@link ModelsService} on the engine side. */
export class ModelManagerService implements ModelsService {
  private lastProgress = new Map<string, number>();

  constructor(private readonly deps: Pick<EngineServiceDeps, 'uploadPath' | 'emit' | 'models'>) {}

  async list(): Promise<ModelStatus[]> {
    return listModels();
  }

  async installFromFile(req: { id: string; file: FileRef } & ModelInstallOptions): Promise<ModelStatus> {
    const path = resolveFileRef(req.file, this.deps.uploadPath);
    try {
      const s = await installFromFile(req.id, path, req);
      this.changed(req.id);
      return s;
    } finally {
      if (req.file.kind === 'upload') await rm(path, { force: true });
    }
  }

  /**
   * @param url in-process callers (tests) only: another source than the manifest URL. The RPC
   *   schema (`ModelsArgs.download`) admits one argument, so the UI cannot pass it.
   */
  async download(req: { id: string } & ModelInstallOptions, url?: string): Promise<ModelStatus> {
    const s = await downloadModel(req.id, {
      url,
      acceptLicense: req.acceptLicense,
      acceptUnverified: req.acceptUnverified,
      onProgress: (p) => {
        const now = Date.now();
        const done = p.totalBytes !== null && p.receivedBytes >= p.totalBytes;
        if (!done && now - (this.lastProgress.get(req.id) ?? 0) < 100) return;
        this.lastProgress.set(req.id, now);
        const ev: ModelsEvents['progress'] = { id: req.id, ...p };
        this.deps.emit(SERVICE.models, 'progress', ev);
      },
    });
    this.changed(req.id);
    return s;
  }

  async verify(): Promise<ModelVerifyResult[]> {
    return verifyModels();
  }

  async remove(id: string): Promise<ModelStatus> {
    const wasActive = this.deps.models.models.some((u) => u.id === id);
    const s = await removeModel(id);
    // a removed model in use hands its role back to the default: reload before the next job
    if (wasActive) await this.reload();
    this.changed(id);
    return s;
  }

  async use(id: string): Promise<ModelStatus> {
    const s = await useModel(id);
    await this.reload();
    this.changed(id);
    return s;
  }

  async providers(): Promise<ProviderStatus> {
    return providerStatus(this.inUse());
  }

  async setProviders(settings: ProviderSettings | null): Promise<ProviderStatus> {
    await saveProviderSettings(settings);
    await this.reload();
    this.deps.emit(SERVICE.models, 'changed', { id: '' } satisfies ModelsEvents['changed']);
    return providerStatus(this.inUse());
  }

  private inUse(): ProviderStatus['inUse'] {
    return this.deps.models.models.map((m) => ({ role: m.role, id: m.id, provider: m.provider ?? null }));
  }

  /**
   * Loads the models now chosen; analyses and live sessions started afterwards use them (running
   * ones keep theirs). @throws when a chosen model fails to load — the previous set stays.
   */
  private async reload(): Promise<void> {
    this.deps.models = await loadEngineModels();
  }

  private changed(id: string): void {
    const ev: ModelsEvents['changed'] = { id };
    this.deps.emit(SERVICE.models, 'changed', ev);
  }
}
