/**
 * App information for Settings (src-shared/contracts/services.ts `AppService`): version, host,
 * models with their install state, execution provider, identification threshold, data folder
 * and retention policy.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import type { AppInfo, AppService } from '../../src-shared/contracts/services.ts';
import { APP_ROOT, loadManifest, resolveModel } from '../engine/inference/registry.ts';
import { operatingPointFor } from '../engine/voiceprints/identify.ts';
import type { EngineServiceDeps } from './deps.ts';

/** App information for Settings. */
export class App implements AppService {
  constructor(private readonly deps: EngineServiceDeps) {}
  async info(): Promise<AppInfo> {
    const inUse = this.deps.models.get();
    const m = loadManifest();
    const models = m.models.map((e) => {
      let installed = !e.file;
      if (e.file) {
        try {
          installed = resolveModel(e.id).path !== null;
        } catch {
          installed = false;
        }
      }
      return {
        role: e.role,
        id: e.id,
        file: e.file,
        version: e.version,
        license: e.license,
        bytes: e.bytes ?? 0,
        inUse: inUse.models.some((u) => u.id === e.id),
        installed,
      };
    });
    const enc = inUse.voiceprintEmbedder.use;
    const { threshold, margin } = operatingPointFor(enc.id, enc.version);
    const pkg = JSON.parse(await readFile(join(APP_ROOT, 'package.json'), 'utf8').catch(() => '{}')) as {
      version?: string;
    };
    const provider = inUse.vadModel.provider;
    return {
      version: pkg.version ?? '0.0.0',
      host: this.deps.host,
      models,
      executionProvider: { name: provider.name, reason: provider.reason },
      thresholds: { identification: { modelId: enc.id, threshold, margin }, clusteringThreshold: null },
      dataFolder: dirname(this.deps.dbPath),
      dbPath: this.deps.dbPath,
      retention:
        'uploaded recordings are deleted right after analysis and only results and voiceprints are kept, unless "Keep call audio" (Privacy) is on: then a copy stays in audio/ beside the database until the call is deleted',
      liveAvailable: true,
    };
  }
}
