/**
 * The models service over the in-memory RPC transport, as Settings > Models drives it: list,
 * install from an "uploaded" real model file (the upload is deleted afterwards), the license
 * refusal crossing the wire with its code, download progress events from a loopback server,
 * verify, remove, and argument validation. Real files from shared/models in a temp user folder.
 */
import { copyFile, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import {
  ModelsArgs,
  type ModelsEvents,
  type ModelsService,
  SERVICE,
} from '../../src-shared/contracts/services.ts';
import {
  createMemoryTransportPair,
  exposeService,
  proxyService,
  RpcClient,
  RpcServer,
  subscribeEvent,
} from '../../src-shared/ipc/rpc.ts';
import { loadEngineModels } from '../engine/index.ts';
import { clearModelCache } from '../engine/inference/registry.ts';
import { createTmpDir, type TmpDir, useSharedModels } from '../test-support.ts';
import { App } from './app.ts';
import { type EngineServiceDeps, ModelsHolder } from './deps.ts';
import { ModelManagerService } from './models.ts';

let tmp: TmpDir;
let shared: string;
let client: RpcClient;
let models: ReturnType<typeof proxyService<ModelsService>>;
let deps: ConstructorParameters<typeof ModelManagerService>[0];
const uploads = new Map<string, string>();
const UPLOAD_ID = 'a'.repeat(32);

beforeAll(async () => {
  shared = useSharedModels();
  tmp = await createTmpDir('models-service');
  process.env.CALLSCOPE_USER_MODELS_DIR = join(tmp.path, 'user');
  clearModelCache();
  const server = new RpcServer();
  deps = {
    uploadPath: (id) => uploads.get(id) ?? null,
    emit: (s, e, p) => server.emit(s, e, p),
    models: new ModelsHolder(await loadEngineModels({ ageGender: null })),
  };
  const svc = new ModelManagerService(deps);
  exposeService<ModelsService>(server, SERVICE.models, svc, ModelsArgs);
  const [a, b] = createMemoryTransportPair();
  server.connect(a);
  client = new RpcClient(b);
  models = proxyService<ModelsService>(client, SERVICE.models);
});
afterAll(async () => {
  delete process.env.CALLSCOPE_USER_MODELS_DIR;
  await tmp.cleanup();
});

it('lists, installs an upload, refuses without license acceptance, verifies and removes', async () => {
  const list = await models.list();
  expect(list.find((m) => m.id === 'pyannote-segmentation-3.0-int8')).toMatchObject({
    state: 'external', // from CALLSCOPE_MODELS_DIR: not inside the app
    origin: 'models-dir',
    isDefault: true,
  });
  expect(list.find((m) => m.id === '3dspeaker-campplus-en-voxceleb')).toMatchObject({
    state: 'available',
    optional: true,
    downloadable: true,
    license: 'Apache-2.0',
  });

  const changed: string[] = [];
  const off = subscribeEvent<ModelsEvents, 'changed'>(client, SERVICE.models, 'changed', (e) =>
    changed.push(e.id),
  );
  const upload = join(tmp.path, 'upload-1');
  await copyFile(join(shared, 'silero_vad_v5.onnx'), upload);
  uploads.set(UPLOAD_ID, upload);
  const s = await models.installFromFile({
    id: 'silero-vad-v5',
    file: { kind: 'upload', uploadId: UPLOAD_ID, name: 'silero_vad.onnx' },
  });
  expect(s.state).toBe('installed');
  expect(existsSync(upload)).toBe(false); // uploads are deleted after use
  expect(changed).toContain('silero-vad-v5');

  await copyFile(join(shared, 'silero_vad_v5.onnx'), upload);
  const refused = models.installFromFile({
    id: 'audeering-w2v2-large-robust-6-age-gender',
    file: { kind: 'upload', uploadId: UPLOAD_ID, name: 'model.onnx' },
  });
  await expect(refused).rejects.toMatchObject({ name: 'ModelManagerError', code: 'license_not_accepted' });
  expect(existsSync(upload)).toBe(false);

  const v = await models.verify();
  expect(v.find((r) => r.id === 'silero-vad-v5')).toMatchObject({ ok: true, path: s.path });
  expect(v.every((r) => r.ok)).toBe(true);

  const r = await models.remove('silero-vad-v5');
  expect(r.state).toBe('external');
  await expect(models.remove('silero-vad-v6')).rejects.toMatchObject({ code: 'bundled' });
  off();
});

it('validates arguments on the engine side', async () => {
  await expect(models.remove('../../etc/passwd')).rejects.toThrow(/invalid arguments to models\.remove/);
  await expect(
    (models.download as (x: unknown) => Promise<unknown>)({ id: 'silero-vad-v5', url: 'http://x' }),
  ).rejects.toThrow(/invalid arguments to models\.download/);
});

it('Settings download reaches the manager with the manifest URL and emits progress (loopback server)', async () => {
  const body = await readFile(join(shared, 'pyannote_segmentation_3_0_int8.onnx'));
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Length': String(body.length) });
    // several chunks, so several progress events
    let o = 0;
    const next = (): void => {
      if (o >= body.length) return void res.end();
      res.write(body.subarray(o, (o += 256 * 1024)), () => setTimeout(next, 120));
    };
    next();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  // Settings > Models > Download over the RPC contract (regression, issue 15 point 1: the call
  // context arrived as the optional `url` and every download failed with "[object Object] is not
  // a URL"). The test hook maps the manifest URL the manager asks for to the loopback server.
  const events: { s: string; e: string; p: ModelsEvents['progress'] }[] = [];
  const asked: string[] = [];
  const svc = new ModelManagerService({
    uploadPath: () => null,
    emit: (s, e, p) => events.push({ s, e, p: p as ModelsEvents['progress'] }),
    models: deps.models,
    mirror: (manifestUrl) => (asked.push(manifestUrl), `http://127.0.0.1:${port}/m.onnx`),
  });
  const server2 = new RpcServer();
  exposeService<ModelsService>(server2, SERVICE.models, svc, ModelsArgs);
  const [a, b] = createMemoryTransportPair();
  server2.connect(a);
  try {
    const st = await proxyService<ModelsService>(new RpcClient(b), SERVICE.models).download({
      id: 'pyannote-segmentation-3.0-int8',
    });
    expect(st.state).toBe('installed');
  } finally {
    server.close();
    b.close();
  }
  expect(asked).toEqual([
    'https://huggingface.co/csukuangfj/sherpa-onnx-pyannote-segmentation-3-0/resolve/main/model.int8.onnx',
  ]);
  const progress = events.filter((x) => x.e === 'progress').map((x) => x.p);
  expect(progress.length).toBeGreaterThan(2);
  expect(progress.at(-1)).toEqual({
    id: 'pyannote-segmentation-3.0-int8',
    receivedBytes: body.length,
    totalBytes: body.length,
  });
  expect(events.at(-1)).toMatchObject({ s: SERVICE.models, e: 'changed' });
});

it('uses an installed optional model: the engine reloads with it, removal goes back to the default', async () => {
  await copyFile(join(shared, 'silero_vad_v5.onnx'), join(tmp.path, 'v5-upload.onnx'));
  uploads.set(UPLOAD_ID, join(tmp.path, 'v5-upload.onnx'));
  await expect(models.use('pyannote-segmentation-3.0-fp32')).rejects.toThrow(/not installed/);
  await models.installFromFile({
    id: 'silero-vad-v5',
    file: { kind: 'upload', uploadId: UPLOAD_ID, name: 'silero_vad_v5.onnx' },
  });
  // another service built from a copy of the deps shares the one models holder: it sees the reload
  const app = new App({ ...deps, dbPath: join(tmp.path, 'c.db'), host: 'web' } as EngineServiceDeps);
  const inUse = async (id: string): Promise<boolean | undefined> =>
    (await app.info()).models.find((m) => m.id === id)?.inUse;
  expect(await inUse('silero-vad-v5')).toBe(false);
  const st = await models.use('silero-vad-v5');
  expect(st.active).toBe(true);
  expect(deps.models.get().models.find((m) => m.role === 'vad')?.id).toBe('silero-vad-v5');
  expect(await inUse('silero-vad-v5')).toBe(true);
  const list = await models.list();
  expect(list.find((m) => m.id === 'silero-vad-v6')?.active).toBe(false);
  await models.remove('silero-vad-v5');
  expect(deps.models.get().models.find((m) => m.role === 'vad')?.id).toBe('silero-vad-v6');
  expect(await inUse('silero-vad-v6')).toBe(true);
  expect((await models.list()).find((m) => m.id === 'silero-vad-v6')?.active).toBe(true);
});

it('saves a provider order over the wire, reloads the engine with it, refuses unknown providers', async () => {
  const st = await models.setProviders({ vad: ['cpu'] });
  expect(st.saved).toEqual({ vad: ['cpu'] });
  expect(st.effective.vad.source).toBe('settings');
  expect(st.inUse.find((u) => u.role === 'vad')?.provider?.requested).toEqual(['cpu']);
  await expect(models.setProviders({ vad: ['tpu' as never] })).rejects.toThrow(/tpu|invalid/i);
  expect((await models.setProviders(null)).saved).toBeNull();
  expect((await models.providers()).effective.vad.source).not.toBe('settings');
});
