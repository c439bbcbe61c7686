/**
 * `callscope models list | install <id> [--from <file>] | verify [ids...] | remove <id> |
 * use <id> | use --default <role>`: the model
 * manager on the command line (src-main/engine/inference/model-manager.ts). Every subcommand takes
 * `--json`. `install` downloads only when asked, with a progress bar (stderr, TTY only) and resume
 * of an interrupted download; `--from` installs offline from a local file. Refusals and failures
 * are one line `error: …` on stderr with exit code 1; `verify` exits 1 when any file fails.
 */
import cliProgress from 'cli-progress';
import Table from 'cli-table3';
import type { Command } from 'commander';

import type { ModelStatus } from '../../src-shared/contracts/services.ts';
import {
  downloadModel,
  installFromFile,
  listModels,
  providerStatus,
  removeModel,
  saveProviderSettings,
  useDefaultModel,
  useModel,
  verifyModels,
} from '../engine/inference/model-manager.ts';
import { parseProviderSpec } from '../engine/inference/providers.ts';
import { MODEL_ROLES, type ModelRole, userModelDir } from '../engine/inference/registry.ts';

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
    head: ['role', 'model', 'state', 'license', 'size', 'file'],
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
      m.license,
      formatBytes(m.bytes),
      m.file ?? '(built in)',
    ]);
  }
  return t.toString() + `\nuser model folder: ${userModelDir()}\n`;
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
    .description('install a model into the user model folder (downloads only on this explicit request)')
    .argument('<id>', 'model id (see `callscope models list`)')
    .option('--from <file>', 'install from this local file instead of downloading (offline)')
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
    .action((id: string, o: InstallCliOptions) =>
      run(io, setExit, async () => {
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
