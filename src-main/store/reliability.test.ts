/**
 * Crash safety and concurrency on real SQLite files: a writer child process killed with SIGKILL in
 * the middle of a transaction leaves a database that passes `PRAGMA integrity_check` and holds every
 * committed call; a reader process and a writer process work at the same time without SQLITE_BUSY.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { createTmpDir, REPO_ROOT, type TmpDir } from '../test-support.ts';
import { listCalls } from './calls.ts';
import { openDb } from './db.ts';

let tmp: TmpDir;
let child: string;
beforeAll(async () => {
  tmp = await createTmpDir('store-crash');
  child = join(tmp.path, 'writer.ts');
  // writes calls in a loop; prints "committed N" after each commit; with `hang`, the last
  // transaction inserts half of its turns and then waits forever (to be SIGKILLed)
  await writeFile(
    child,
    `import { openDb } from '${join(REPO_ROOT, 'src-main/store/db.ts')}';
import { saveCall } from '${join(REPO_ROOT, 'src-main/store/calls.ts')}';
import { fakeResult } from '${join(REPO_ROOT, 'src-main/store/fixtures.ts')}';
const [db0, count, mode] = process.argv.slice(2);
const db = openDb(db0);
for (let i = 0; i < Number(count); i++) {
  saveCall(db, fakeResult('c' + i + '.wav', 200));
  process.stdout.write('committed ' + (i + 1) + '\\n');
}
if (mode === 'hang') {
  db.exec('BEGIN IMMEDIATE');
  const callId = db.prepare("INSERT INTO calls (source, title, started_at, duration_s, source_channels, source_sample_rate, channels, execution_provider, execution_provider_reason, rtf, timings, warnings, created_at) VALUES ('x','torn.wav','',1,1,16000,'[]','cpu','',0,'{}','[]','')").run().lastInsertRowid;
  for (let i = 0; i < 5000; i++) db.prepare('INSERT INTO turns (call_id, speaker_key, start_s, end_s, channel, overlap) VALUES (?, ?, 0, 1, ?, 0)').run(callId, 'S1', 'mono');
  process.stdout.write('in transaction\\n');
  setInterval(() => {}, 1000);
}
`,
  );
});
afterAll(async () => {
  await tmp.cleanup();
});

/** Runs the writer child; resolves when `until` appears on stdout (then the child is SIGKILLed). */
function runChild(args: string[], until?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, ...args], { cwd: REPO_ROOT });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (until && out.includes(until)) p.kill('SIGKILL');
    });
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code, signal) => {
      if (until ? signal === 'SIGKILL' : code === 0) resolve(out);
      else reject(new Error(`writer exited ${code} ${signal}: ${err}`));
    });
  });
}

it('SIGKILL mid-transaction: integrity ok, every committed call kept, the torn one absent', async () => {
  const path = join(tmp.path, 'crash.db');
  const out = await runChild([path, '5', 'hang'], 'in transaction');
  expect(out).toContain('committed 5');
  const db = openDb(path);
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  const page = listCalls(db, { limit: 100 });
  expect(page.total).toBe(5);
  expect(page.calls.every((c) => c.turnCount === 200)).toBe(true);
  expect(listCalls(db, { search: 'torn' }).total).toBe(0);
  db.close();
});

it('a reader and a writer process at the same time: no SQLITE_BUSY reaches the user', async () => {
  const path = join(tmp.path, 'concurrent.db');
  openDb(path).close();
  const writer = runChild([path, '40']);
  const reader = openDb(path);
  let reads = 0;
  let done = false;
  void writer.finally(() => (done = true));
  while (!done) {
    listCalls(reader, { limit: 20 });
    reads++;
    await new Promise((r) => setTimeout(r, 2));
  }
  expect(await writer).toContain('committed 40');
  expect(listCalls(reader).total).toBe(40);
  expect(reads).toBeGreaterThan(5);
  reader.close();
});
