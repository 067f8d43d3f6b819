// `npm run demo`: builds the bundled fixture workspace twice, each time from a
// clean target dir, against a fresh store, and prints the hit table. The
// workspace and store, in a temp dir, are removed after, unless `-- --keep`.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const bin = join(root, 'bin', 'splitcache');
const work = mkdtempSync(join(tmpdir(), 'splitcache-demo-'));
const ws = join(work, 'workspace');
cpSync(join(root, 'test', 'fixtures', 'workspace'), ws, { recursive: true });
const env = { ...process.env, SPLITCACHE_DIR: join(work, 'store'), CARGO_INCREMENTAL: '0', RUSTC_WRAPPER: bin };

function build(label) {
  rmSync(join(ws, 'target'), { recursive: true, force: true });
  const t0 = performance.now();
  const r = spawnSync('cargo', ['build', '--all-targets', '-q'], { cwd: ws, env: { ...env, SPLITCACHE_SESSION: label }, stdio: ['ignore', 'ignore', 'pipe'] });
  const s = ((performance.now() - t0) / 1000).toFixed(2);
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    process.exit(r.status ?? 1);
  }
  console.log(`${label.padEnd(6)} build: ${s} s`);
}

console.log(`workspace: ${ws}\nstore:     ${env.SPLITCACHE_DIR}\n(removed at the end; \`npm run demo -- --keep\` keeps them)\n`);
build('first');
build('second');
const stats = spawnSync(bin, ['stats'], { env, encoding: 'utf8' });
console.log('\n' + stats.stdout);
spawnSync(bin, ['server', 'stop'], { env, stdio: 'ignore' });
if (process.argv.includes('--keep')) console.log(`kept: ${work}`);
else rmSync(work, { recursive: true, force: true });
