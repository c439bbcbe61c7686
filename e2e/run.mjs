/**
 * `npm run e2e [-- --update] [playwright args]`: builds the renderer, then runs Playwright.
 * Without `--update` the run writes only to the ignored e2e/results/ and no tracked file changes;
 * `--update` (CALLSCOPE_E2E_UPDATE=1) rewrites the committed screenshots in e2e/screenshots/ and
 * the renderer benchmark report in bench/results/.
 */
import { spawnSync } from 'node:child_process';
import process from 'node:process';

const args = process.argv.slice(2);
const update = args.includes('--update');
const rest = args.filter((a) => a !== '--update');
const run = (cmd, argv, env = process.env) => {
  const r = spawnSync(cmd, argv, { stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run('npx', ['vite', 'build', '--logLevel', 'warn']);
run('npx', ['playwright', 'test', ...rest], {
  ...process.env,
  ...(update ? { CALLSCOPE_E2E_UPDATE: '1' } : {}),
});
