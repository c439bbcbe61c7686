/**
 * `npm run eval [-- --update] [eval-dev options]`: the dev-set evaluation (`callscope eval-dev`).
 * Without `--update` its hypothesis RTTMs and eval-dev.md go to the ignored bench/results/tmp/eval
 * and no tracked file changes; `--update` writes the committed copies in bench/results/eval.
 */
import { spawnSync } from 'node:child_process';
import process from 'node:process';

const args = process.argv.slice(2);
const update = args.includes('--update');
const rest = args.filter((a) => a !== '--update');
const out = rest.includes('--out') ? [] : ['--out', update ? 'bench/results/eval' : 'bench/results/tmp/eval'];
const r = spawnSync(process.execPath, ['bin/callscope.js', 'eval-dev', ...out, ...rest], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
