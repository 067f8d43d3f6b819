import t from 'tap';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, run, runOnPipes, Store, tempDir } from './helpers.js';

// `-C instrument-coverage=0` is coverage off to rustc (it takes `0` for this option, beside the
// boolean spellings). Read as on, the split halves ran without the legacy-mangling pin, under
// RUSTC_BOOTSTRAP=1, and the binary had v0 symbols where a plain stable build's are legacy.

const outputs = (out: string) => new Map(readdirSync(out).sort().map((f) => [f, readFileSync(join(out, f))]));

function fresh(out: string): void {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
}

t.test('-C instrument-coverage=0: a bin through the cache is a plain build\'s bytes, miss and hit', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = tempDir('coverage-zero');
  writeFileSync(join(dir, 'main.rs'), 'fn twice(x: u32) -> u32 {\n    x * 2\n}\nfn main() {\n    println!("zero {}", twice(21));\n}\n');
  const out = join(dir, 'out');
  const args = ['--crate-name', 'covz', '--edition=2021', 'main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '-C', 'instrument-coverage=0', '-C', 'extra-filename=-z', '--out-dir', out];
  fresh(out);
  const plain = await run('rustc', args, { cwd: dir });
  t.equal(plain.code, 0, `a plain stable rustc builds: ${plain.stderr}`);
  const made = outputs(out);
  t.ok(made.get('covz-z')?.includes('_ZN'), 'with legacy symbols (else this case shows nothing)');
  for (const [session, call] of [['first', runOnPipes], ['second', run]] as const) {
    fresh(out);
    const r = await call(BIN, ['rustc', ...args], { cwd: dir, env: store.env({ SPLITCACHE_SESSION: session }) });
    t.equal(r.code, 0, `${session}: builds: ${r.stderr}`);
    t.same(outputs(out), made, `${session}: a plain build's files, byte for byte`);
  }
  const seen = [...(await store.calls('first')), ...(await store.calls('second'))].map((c) => c.outcome);
  t.same(seen, ['miss', 'hit'], 'stored, then hit');
});
