/**
 * Issue 12, finding 5: the database, its WAL and SHM files are 0600 and Callscope's data folder
 * 0700, from creation and on every open (looser modes are tightened with a warning). Real SQLite
 * files in a temporary folder.
 */
import { chmodSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTmpDir, type TmpDir } from '../test-support.ts';
import { openDb } from './db.ts';

let tmp: TmpDir;
const mode = (p: string): number => statSync(p).mode & 0o777;

beforeAll(async () => {
  tmp = await createTmpDir('db-perms');
});
afterAll(async () => {
  await tmp.cleanup();
});

describe.skipIf(process.platform === 'win32')('database file permissions', () => {
  it('creates the data folder 0700 and the database, WAL and SHM files 0600 (umask 022)', () => {
    const old = process.umask(0o022);
    try {
      const path = join(tmp.path, 'new', 'callscope', 'callscope.db');
      const warnings: string[] = [];
      const db = openDb(path, { warn: (m) => warnings.push(m) });
      db.prepare('CREATE TABLE IF NOT EXISTS t (x)').run();
      db.prepare('INSERT INTO t VALUES (1)').run();
      expect(mode(join(tmp.path, 'new', 'callscope'))).toBe(0o700);
      for (const f of [path, `${path}-wal`, `${path}-shm`]) expect(mode(f), f).toBe(0o600);
      expect(warnings).toEqual([]);
      db.close();
    } finally {
      process.umask(old);
    }
  });

  it('tightens looser files and its own folder on every open, with a warning each', async () => {
    const dir = join(tmp.path, 'old', 'Callscope');
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'callscope.db');
    openDb(path, { warn: () => undefined }).close();
    chmodSync(dir, 0o755);
    chmodSync(path, 0o644);
    const warnings: string[] = [];
    const db = openDb(path, { warn: (m) => warnings.push(m) });
    expect(mode(dir)).toBe(0o700);
    expect(mode(path)).toBe(0o600);
    for (const f of [`${path}-wal`, `${path}-shm`]) expect(mode(f), f).toBe(0o600);
    expect(warnings.length).toBe(2);
    expect(warnings.join('\n')).toMatch(/readable by other users \(mode 644\); tightened to 600/);
    db.close();
  });

  it('reports but never changes a folder that is not Callscope’s own (--db elsewhere)', async () => {
    const dir = join(tmp.path, 'home-like');
    await mkdir(dir, { recursive: true });
    chmodSync(dir, 0o755);
    const warnings: string[] = [];
    openDb(join(dir, 'mine.db'), { warn: (m) => warnings.push(m) }).close();
    expect(mode(dir)).toBe(0o755);
    expect(mode(join(dir, 'mine.db'))).toBe(0o600);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/home-like is readable by other users.*chmod 700/);
  });
});
