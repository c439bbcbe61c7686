/**
 * Starts `src-main/host/main.ts` (the `npm run web` host, on the already built renderer) with a
 * fresh temporary database and the shared models, reads the tokenised address it prints and hands
 * it to the specs as CALLSCOPE_E2E_URL. Returns the teardown that stops it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export default async function globalSetup(): Promise<() => Promise<void>> {
  const root = resolve(import.meta.dirname, '..');
  if (!existsSync(join(root, 'dist', 'renderer', 'index.html')))
    throw new Error('renderer not built: run `npm run build:renderer` (npm run e2e does)');
  const dir = mkdtempSync(join(tmpdir(), 'callscope-e2e-'));
  const models = process.env.CALLSCOPE_MODELS_DIR ?? resolve(root, '..', 'shared', 'models');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src-main/host/main.ts', '--port', '0', '--db', join(dir, 'e2e.db')],
    {
      cwd: root,
      env: {
        ...process.env,
        CALLSCOPE_MODELS_DIR: models,
        CALLSCOPE_USER_MODELS: join(dir, 'no-user-models'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`web host did not start in 90 s:\n${log}`)), 90_000);
    const onData = (b: Buffer): void => {
      log += b.toString();
      const m = /Callscope web host: (\S+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (b: Buffer) => (log += b.toString()));
    child.once('exit', (code) => fail(new Error(`web host exited (${code}):\n${log}`)));
  });
  process.env.CALLSCOPE_E2E_URL = url;
  process.env.CALLSCOPE_E2E_DIR = dir;
  return async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  };
}
