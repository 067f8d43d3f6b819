// `npm run soak [-- --minutes 10 --seed 7]`: repeated builds of the fixture
// workspace with random edits and random faults (daemon killed mid-build, a
// blob bit-flipped, a blob deleted), each checked byte for byte against an
// uncached build of the same source. Exits 1 if any output ever differed.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const minutes = arg('minutes', 10);
let seed = arg('seed', Date.now() % 1e6) || 1;
const random = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
};
const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const bin = join(root, 'bin', 'splitcache');
const work = mkdtempSync(join(tmpdir(), 'splitcache-soak-'));
const ws = join(work, 'ws');
cpSync(join(root, 'test', 'fixtures', 'workspace'), ws, { recursive: true });
const store = join(work, 'store');
const env = { ...process.env, CARGO_INCREMENTAL: '0', SPLITCACHE_DIR: store, SPLITCACHE_LOG: 'quiet' };
const EDITS = [
  ['core/src/lib.rs', /    \d+\n}\n$/, (n) => `    ${n}\n}\n`],
  ['util/src/lib.rs', /x \* \d+/, (n) => `x * ${n % 3 + 2}`],
  ['app/src/main.rs', /double=\{\}/, () => 'double={}'],
];
const BINARIES = ['fx-app', 'examples/demo'];
const totals = { builds: 0, faults: { kill: 0, flip: 0, remove: 0, none: 0 }, mismatches: 0, failures: 0 };

function blobs() {
  const dir = join(store, 'blobs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((d) => d !== 'tmp').flatMap((d) => readdirSync(join(dir, d)).map((f) => join(dir, d, f)));
}

async function cachedBuild(fault) {
  rmSync(join(ws, 'target'), { recursive: true, force: true });
  const child = spawn('cargo', ['build', '--all-targets', '-q'], { cwd: ws, env: { ...env, RUSTC_WRAPPER: bin }, stdio: 'ignore' });
  if (fault === 'kill') {
    setTimeout(() => {
      try {
        process.kill(Number(readFileSync(join(store, 'daemon.pid'), 'utf8')), 'SIGKILL');
      } catch {}
    }, 200 + random() * 2000);
  }
  return new Promise((res) => child.on('close', (c) => res(c)));
}

const deadline = Date.now() + minutes * 60_000;
const plainTarget = join(work, 'plain');
while (Date.now() < deadline) {
  const [file, re, make] = EDITS[Math.floor(random() * EDITS.length)];
  const p = join(ws, file);
  writeFileSync(p, readFileSync(p, 'utf8').replace(re, make(Math.floor(random() * 5) + 5)));
  const r = random();
  const fault = r < 0.25 ? 'kill' : r < 0.45 ? 'flip' : r < 0.6 ? 'remove' : 'none';
  const all = blobs();
  if ((fault === 'flip' || fault === 'remove') && all.length) {
    const victim = all[Math.floor(random() * all.length)];
    if (fault === 'remove') rmSync(victim);
    else {
      const b = readFileSync(victim);
      b[Math.floor(random() * b.length)] ^= 1 << Math.floor(random() * 8);
      chmodSync(victim, 0o644);
      writeFileSync(victim, b);
    }
  }
  totals.faults[fault]++;
  const code = await cachedBuild(fault);
  totals.builds++;
  const plain = spawnSync('cargo', ['build', '--all-targets', '-q', '--target-dir', plainTarget], { cwd: ws, env: { ...env, RUSTC_WRAPPER: '' } });
  if (code !== 0 || plain.status !== 0) {
    totals.failures++;
    console.log(`build ${totals.builds}: cached exit ${code}, plain exit ${plain.status} (fault ${fault})`);
    continue;
  }
  for (const b of BINARIES) {
    if (!readFileSync(join(ws, 'target/debug', b)).equals(readFileSync(join(plainTarget, 'debug', b)))) {
      totals.mismatches++;
      console.log(`build ${totals.builds}: ${b} differs from the uncached build (fault ${fault})`);
    }
  }
  process.stdout.write(`\rsoak: ${totals.builds} builds, ${totals.mismatches} mismatches, ${totals.failures} failures`);
}
spawnSync(bin, ['server', 'stop'], { env });
console.log('\n' + JSON.stringify(totals));
process.exit(totals.mismatches || totals.failures ? 1 : 0);
