/**
 * Issue 12, finding 1: the RPC allow-list is the contract, not the class. Two checks:
 * - every method of every service interface in src-shared/contracts (read with the TypeScript
 *   compiler, so an interface method without an argument schema fails here) has exactly one
 *   `z.tuple` schema in `CONTRACTS`, and the contract has nothing else;
 * - every function reachable on each engine implementation (own, prototype chain up to Object,
 *   TypeScript-`private` helpers included) that the contract does not list is refused over RPC
 *   with code `unknown_method` and never runs.
 */
import { join } from 'node:path';

import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { CONTRACTS, SERVICE } from '../../src-shared/contracts/services.ts';
import { createMemoryTransportPair, RpcClient, RpcServer, exposeService } from '../../src-shared/ipc/rpc.ts';
import { AnalysisQueue } from '../services/analysis.ts';
import { App } from '../services/app.ts';
import type { EngineServiceDeps } from '../services/deps.ts';
import { History } from '../services/history.ts';
import { Library } from '../services/library.ts';
import { LiveControl } from '../services/live.ts';
import { ModelManagerService } from '../services/models.ts';
import { REPO_ROOT } from '../test-support.ts';

/** Wire name → the interface that declares the service (src-shared/contracts/services.ts). */
const INTERFACES: Record<keyof typeof CONTRACTS, string> = {
  analysis: 'AnalysisService',
  library: 'LibraryService',
  history: 'HistoryService',
  app: 'AppService',
  live: 'LiveControlService',
  models: 'ModelsService',
};

/** Method names of each exported interface of the contracts file, as the type checker sees them. */
function interfaceMethods(): Map<string, string[]> {
  const file = join(REPO_ROOT, 'src-shared', 'contracts', 'services.ts');
  const program = ts.createProgram([file], {
    allowImportingTsExtensions: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    skipLibCheck: true,
    lib: ['lib.es2022.d.ts'],
    types: [],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file)!;
  const out = new Map<string, string[]>();
  for (let sym of checker.getExportsOfModule(checker.getSymbolAtLocation(source)!)) {
    if (sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym);
    if (!(sym.flags & ts.SymbolFlags.Interface)) continue;
    const type = checker.getDeclaredTypeOfSymbol(sym);
    out.set(
      sym.getName(),
      checker.getPropertiesOfType(type).map((p) => p.getName()),
    );
  }
  return out;
}

describe('RPC contracts (issue 12, finding 1)', () => {
  it('every contract method has exactly one argument tuple, and the allow-list has nothing else', () => {
    const methods = interfaceMethods();
    expect(Object.keys(CONTRACTS).sort()).toEqual(Object.values(SERVICE).sort());
    for (const [service, iface] of Object.entries(INTERFACES)) {
      const declared = methods.get(iface);
      expect(declared, `interface ${iface} not found`).toBeDefined();
      const contract = CONTRACTS[service as keyof typeof CONTRACTS] as Record<string, unknown>;
      expect(Object.keys(contract).sort(), `${service}: contract vs interface ${iface}`).toEqual(
        [...declared!].sort(),
      );
      for (const m of declared!)
        expect(contract[m], `${service}.${m} has no z.tuple schema`).toBeInstanceOf(z.ZodTuple);
    }
  });

  it('refuses every non-contract function of every engine service implementation', async () => {
    const ran: string[] = [];
    const deps = {
      emit: () => ran.push('emit'),
      uploadPath: () => null,
    } as unknown as EngineServiceDeps;
    const queue = new AnalysisQueue(deps);
    const impls: Record<keyof typeof CONTRACTS, object> = {
      analysis: queue,
      library: new Library(deps, queue),
      history: new History(null as never),
      app: new App(deps),
      live: new LiveControl(deps),
      models: new ModelManagerService(deps),
    };
    const server = new RpcServer();
    for (const [name, impl] of Object.entries(impls))
      exposeService(server, name, impl, CONTRACTS[name as keyof typeof CONTRACTS] as never);
    const [a, b] = createMemoryTransportPair();
    server.connect(a);
    const client = new RpcClient(b);
    let refused = 0;
    for (const [name, impl] of Object.entries(impls)) {
      const contract = Object.keys(CONTRACTS[name as keyof typeof CONTRACTS]);
      const names = new Set<string>(Object.keys(impl));
      for (let p = impl; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object)
        for (const k of Object.getOwnPropertyNames(p)) names.add(k);
      for (const k of ['__proto__', 'toString', 'valueOf', 'hasOwnProperty']) names.add(k);
      const extra = [...names].filter((k) => !contract.includes(k));
      // the review's list: private/internal methods that were callable before
      if (name === 'analysis') expect(extra).toEqual(expect.arrayContaining(['run', 'update', 'cancelAll']));
      if (name === 'models') expect(extra).toEqual(expect.arrayContaining(['reload']));
      if (name === 'live') expect(extra).toEqual(expect.arrayContaining(['stopAll', 'sourceFor']));
      for (const m of extra) {
        const err = await client
          .call(name, m, [{ file: '/etc/passwd', upload: true }])
          .catch((e: unknown) => e);
        expect(err, `${name}.${m}`).toMatchObject({ code: 'unknown_method' });
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(15);
    expect(ran).toEqual([]);
    b.close();
  });
});
