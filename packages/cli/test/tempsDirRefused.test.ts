import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, run, runOnPipes, Store, tempDir } from './helpers.js';

// A plain rustc makes its `-Z temps-dir` once it has read its options and parsed the crate (as it
// writes dep-info): a call it refuses sooner (an option's bad value, a syntax error) leaves no dir,
// and one that fails later (a type error) leaves it. The daemon made the dir as it planned the
// call, so a refused call left one behind where a plain rustc leaves none. Compared here: what the
// crate's dir holds after a plain rustc and after the same call through splitcache.

const nightly = spawnSync('rustup', ['which', 'rustc', '--toolchain', 'nightly'], { encoding: 'utf8' });
const NIGHTLY = nightly.status === 0 ? nightly.stdout.trim() : '';
const skip = !NIGHTLY && 'no nightly toolchain';

const CASES = [
  { what: 'a bin with a bad option value', type: 'bin', source: 'fn main() {}\n', extra: ['-C', 'opt-level=9'] },
  { what: 'a lib with a bad option value', type: 'lib', source: 'pub fn one() -> u32 {\n    1\n}\n', extra: ['--cfg=1x'] },
  { what: 'a bin with a syntax error', type: 'bin', source: 'fn main( {\n', extra: [] },
  { what: 'a bin with a type error', type: 'bin', source: 'fn main() {\n    let x: u32 = "one";\n}\n', extra: [] },
  { what: 'a bin that builds', type: 'bin', source: 'fn main() {}\n', extra: [] },
];

/** Every path under `dir`, sorted ('/' after a dir's name). */
function tree(dir: string, under = ''): string[] {
  return readdirSync(join(dir, under), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? [`${join(under, e.name)}/`, ...tree(dir, join(under, e.name))] : [join(under, e.name)]))
    .sort();
}

for (const client of ['exec port', 'node client']) {
  t.test(`-Ztemps-dir not there yet, through the ${client}: made where a plain rustc makes it, and only there`, { skip }, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    const env = store.env(client === 'node client' ? { SPLITCACHE_CLIENT: 'node' } : {});
    // A daemon running, so that bin/splitcache takes the exec port.
    t.equal((await store.splitcache(['server', 'start'])).code, 0, 'a daemon started');
    for (const { what, type, source, extra } of CASES) {
      const dir = tempDir('temps-refused');
      const file = type === 'bin' ? 'main.rs' : 'lib.rs';
      const emit = type === 'bin' ? '--emit=dep-info,link' : '--emit=dep-info,metadata,link';
      const args = ['--crate-name', 'trf', '--edition=2021', file, '--crate-type', type, emit, ...extra, '--out-dir', join(dir, 'out'), '-Ztemps-dir=scratch/inner'];
      const fresh = () => {
        for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true, force: true });
        writeFileSync(join(dir, file), source);
        mkdirSync(join(dir, 'out'));
      };
      fresh();
      const plain = await run(NIGHTLY, args, { cwd: dir });
      const plainTree = tree(dir);
      for (const round of ['first', 'second']) {
        fresh();
        const r = await runOnPipes(BIN, [NIGHTLY, ...args], { cwd: dir, env });
        t.same([r.code, r.stderr], [plain.code, plain.stderr], `${what}, ${round} call: the same exit and words as a plain rustc`);
        t.same(tree(dir), plainTree, `${what}, ${round} call: the same files and dirs left (temps dir ${existsSync(join(dir, 'scratch')) ? 'made' : 'not made'})`);
      }
    }
    const outcomes = (await store.audit()).map((e) => e.outcome);
    t.same(outcomes, ['compile-error', 'compile-error', 'compile-error', 'compile-error', 'compile-error', 'compile-error', 'compile-error', 'compile-error', 'miss', 'hit'], 'each refused call was run through the cache, the bin that builds stored, then hit');
  });
}
