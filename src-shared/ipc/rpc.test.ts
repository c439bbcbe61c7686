import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

import { RpcMessageSchema } from '../contracts/transport.ts';
import { AppError } from '../errors.ts';
import {
  CancelledError,
  createMemoryTransportPair,
  currentCallContext,
  exposeService,
  proxyService,
  RemoteError,
  RpcClient,
  RpcServer,
  subscribeEvent,
} from './rpc.ts';

interface Calc {
  add(a: number, b: number): Promise<number>;
  fail(msg: string): Promise<void>;
  slow(ms: number): Promise<string>;
  /** An optional trailing parameter (like `models.download(req, url?)`). */
  opt(a: number, b?: string): Promise<string>;
}
interface CalcEvents {
  tick: { n: number };
}

function setup(): {
  server: RpcServer;
  client: RpcClient;
  calc: ReturnType<typeof proxyService<Calc>>;
  log: string[];
  close: () => void;
} {
  const log: string[] = [];
  const server = new RpcServer();
  class Impl implements Calc {
    async add(a: number, b: number): Promise<number> {
      return a + b;
    }
    async fail(msg: string): Promise<void> {
      throw new AppError('not_found', msg, { name: 'StoreError', details: { id: 7, kind: 'voiceprint' } });
    }
    slow(ms: number): Promise<string> {
      const ctx = currentCallContext();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => resolve('finished'), ms);
        ctx?.signal.addEventListener('abort', () => {
          clearTimeout(t);
          log.push('aborted on the server');
          reject(new Error('aborted'));
        });
      });
    }
    async opt(a: number, b?: string): Promise<string> {
      return `${a}:${typeof b}:${String(b)}`;
    }
    /** Not in the contract: never callable, whatever TypeScript says about visibility. */
    async secret(): Promise<string> {
      log.push('secret ran');
      return 'leaked';
    }
  }
  exposeService<Calc>(server, 'calc', new Impl(), {
    add: z.tuple([z.number(), z.number()]),
    fail: z.tuple([z.string()]),
    slow: z.tuple([z.number()]),
    opt: z.tuple([z.number(), z.string().optional()]),
  });
  const [a, b] = createMemoryTransportPair();
  server.connect(a);
  const client = new RpcClient(b);
  return { server, client, calc: proxyService<Calc>(client, 'calc'), log, close: () => b.close() };
}

describe('RPC over the in-memory transport', () => {
  it('calls a method and returns its value', async () => {
    const { calc } = setup();
    expect(await calc.add(2, 3)).toBe(5);
    const all = await Promise.all([calc.add(1, 1), calc.add(2, 2), calc.add(3, 3)]);
    expect(all).toEqual([2, 4, 6]);
  });

  it('rejects with the remote error name, message and code', async () => {
    const { calc } = setup();
    const err = await calc.fail('no such voiceprint').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect(err).toMatchObject({ name: 'StoreError', message: 'no such voiceprint', code: 'not_found' });
    // an AppError's details cross the wire too (issue 17: one AppError)
    expect((err as RemoteError).details).toEqual({ id: 7, kind: 'voiceprint' });
  });

  it('validates arguments at the receiving side', async () => {
    const { client } = setup();
    const err = await client.call('calc', 'add', ['2', 3]).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ValidationError', code: 'invalid_arguments' });
    expect(String((err as Error).message)).toContain('calc.add');
  });

  it('rejects unknown methods and ignores malformed envelopes', async () => {
    const { client } = setup();
    await expect(client.call('calc', 'nope', [])).rejects.toMatchObject({ code: 'unknown_method' });
    await expect(client.call('other', 'add', [])).rejects.toThrow(/unknown method/);
  });

  it('exposes only the contract: other methods of the implementation are unknown (issue 12, 1)', async () => {
    const { client, log } = setup();
    for (const m of ['secret', 'constructor', 'toString', '__proto__', 'hasOwnProperty'])
      await expect(client.call('calc', m, [])).rejects.toMatchObject({ code: 'unknown_method' });
    expect(log).toEqual([]);
  });

  it('never passes the call context as an argument (issue 15, 1: optional trailing parameter)', async () => {
    const { client } = setup();
    expect(await client.call('calc', 'opt', [1])).toBe('1:undefined:undefined');
    expect(await client.call('calc', 'opt', [1, 'x'])).toBe('1:string:x');
    await expect(client.call('calc', 'opt', [1, 'x', 'extra'])).rejects.toMatchObject({
      name: 'ValidationError',
    });
    expect(currentCallContext()).toBeNull();
  });

  it('refuses to expose a contract entry that is not an argument tuple, or a missing method', () => {
    const server = new RpcServer();
    expect(() =>
      exposeService<{ f(): Promise<void> }>(
        server,
        'a',
        { f: async () => undefined },
        {
          f: z.array(z.unknown()),
        },
      ),
    ).toThrow(/contract method f has no z.tuple/);
    expect(() =>
      exposeService<{ f(): Promise<void> }>(server, 'b', {} as { f(): Promise<void> }, { f: z.tuple([]) }),
    ).toThrow(/contract method f is not implemented/);
  });

  it('cancels a call: the caller rejects with AbortError and the server sees the abort', async () => {
    const { client, log } = setup();
    const ctrl = new AbortController();
    const calc = proxyService<Calc>(client, 'calc', { signal: ctrl.signal });
    const p = calc.slow(10_000);
    setTimeout(() => ctrl.abort(), 20);
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as Error).name).toBe('AbortError');
    // the server's abort arrives on its own message; wait for it, not for a fixed time
    await vi.waitFor(() => expect(log).toEqual(['aborted on the server']), { timeout: 30_000 });
    await expect(proxyService<Calc>(client, 'calc', { signal: ctrl.signal }).add(1, 2)).rejects.toThrow(
      CancelledError,
    );
  });

  it('delivers events to subscribers until they unsubscribe', async () => {
    const { server, client, calc } = setup();
    const got: number[] = [];
    const off = subscribeEvent<CalcEvents, 'tick'>(client, 'calc', 'tick', (p) => got.push(p.n));
    server.emit('calc', 'tick', { n: 1 });
    server.emit('calc', 'tick', { n: 2 });
    server.emit('calc', 'other', { n: 9 });
    await vi.waitFor(() => expect(got).toEqual([1, 2]), { timeout: 30_000 });
    off();
    server.emit('calc', 'tick', { n: 3 });
    // a call's answer travels after the event emitted before it (one ordered transport), so
    // once it is back a delivered n: 3 would be in `got`
    expect(await calc.add(0, 0)).toBe(0);
    expect(got).toEqual([1, 2]);
  });

  it('rejects pending calls and aborts server work when the transport closes', async () => {
    const { calc, log, close } = setup();
    const p = calc.slow(10_000);
    // calls are dispatched in order: once this one is answered, the server is running slow()
    expect(await calc.add(1, 1)).toBe(2);
    close();
    await expect(p).rejects.toMatchObject({ name: 'DisconnectedError' });
    expect(log).toEqual(['aborted on the server']);
  });
});

describe('RPC envelopes over a JSON transport', () => {
  it('the result of a method returning nothing is accepted (regression: History delete hung on the web host)', () => {
    const wire: unknown = JSON.parse(JSON.stringify({ t: 'result', id: 6, value: undefined }));
    expect(wire).toEqual({ t: 'result', id: 6 });
    expect(RpcMessageSchema.safeParse(wire).success).toBe(true);
  });
});
