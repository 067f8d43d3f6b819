import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, run, runOnPipes, Store, tempDir } from './helpers.js';

// What a compile prints on stdout (nightly's -Zprint-type-sizes) came twice where the split link
// failed: once from the -Zno-link half, again from the plain rustc it falls back to
// (daemon/src/callFlow.ts). That rustc's stdout is now given less the half's (notShownYet.ts).

const nightly = spawnSync('rustup', ['which', 'rustc', '--toolchain', 'nightly'], { encoding: 'utf8' });
const NIGHTLY = nightly.status === 0 ? nightly.stdout.trim() : '';

t.test('a failed split link prints the type sizes once, as a plain rustc does', { skip: !NIGHTLY && 'no nightly toolchain' }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = tempDir('fallback-stdout');
  const cc = join(dir, 'cc-unless-split');
  writeFileSync(cc, '#!/bin/sh\nif [ -n "$RUSTC_BOOTSTRAP" ]; then echo "refusing the split link" >&2; exit 1; fi\nexec cc "$@"\n');
  chmodSync(cc, 0o755);
  writeFileSync(join(dir, 'main.rs'), 'struct Pair(u64, u8);\nfn main() {\n    let p = Pair(1, 2);\n    println!("{}", p.0 + p.1 as u64);\n}\n');
  const args = ['--crate-name', 'ts', '--crate-type', 'bin', '--edition=2021', '--emit=dep-info,link', '-C', `linker=${cc}`, '-Zprint-type-sizes', '--out-dir', join(dir, 'out'), 'main.rs'];
  const fresh = () => {
    rmSync(join(dir, 'out'), { recursive: true, force: true });
    mkdirSync(join(dir, 'out'));
  };
  fresh();
  const plain = await run(NIGHTLY, args, { cwd: dir });
  t.equal(plain.code, 0, 'a plain rustc links');
  t.match(plain.stdout, /^print-type-size type: `Pair`/m, 'and prints the type sizes');
  for (const [client, call] of [['node client', run], ['exec port', runOnPipes]] as const) {
    fresh();
    const r = await call(BIN, [NIGHTLY, ...args], { cwd: dir, env: store.env({ SPLITCACHE_SESSION: client }) });
    t.equal(r.code, 0, `${client}: the call falls back to a plain rustc and links`);
    t.match(r.stderr, /SPLITCACHE_LINK_FAILED/, 'its split link failed');
    t.equal(r.stdout, plain.stdout, `${client}: a plain rustc's stdout, byte for byte (before: twice)`);
  }
});
