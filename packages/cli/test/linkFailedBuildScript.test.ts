import t from 'tap';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store, tempDir, timingLines } from './helpers.js';

// A build script whose split link fails where a plain rustc succeeds: the SPLITCACHE_LINK_FAILED
// line names it by its package (cargo's CARGO_PKG_NAME), in both clients, as the daemon-lost line
// does (crateCalled.ts). Every build script's crate is build_script_build: the exec port's line
// said "the split link of build_script_build", and a build with forty of them could not tell which.
// The linker below fails only under RUSTC_BOOTSTRAP, which the split's halves get and the plain
// fallback rustc never does.

const CLIENTS = [
  { client: 'exec port (bash)', env: {}, kind: 'exec' },
  { client: 'node client', env: { SPLITCACHE_CLIENT: 'node' }, kind: 'node' },
];

for (const { client, env, kind } of CLIENTS) {
  t.test(`${client}: a build script's failed split link is named by its package`, async (t) => {
    const linker = join(tempDir('linker'), 'cc-unless-split');
    writeFileSync(linker, '#!/bin/sh\nif [ -n "$RUSTC_BOOTSTRAP" ]; then echo "refusing the split link" >&2; exit 1; fi\nexec cc "$@"\n');
    chmodSync(linker, 0o755);
    const store = new Store();
    t.teardown(() => store.stop());
    const ws = fileTree({
      'Cargo.toml': '[package]\nname = "lf-sys"\nversion = "0.1.0"\nedition = "2021"\n',
      'build.rs': 'fn main() { println!("cargo:rustc-env=LF_SAID=from its build script"); }\n',
      'src/main.rs': 'fn main() { println!("{}", env!("LF_SAID")); }\n',
    }, 'link-failed-build-script');
    const timing = join(tempDir('timing'), 'calls.jsonl');
    const r = await store.cargo(ws, ['build'], { ...env, RUSTFLAGS: `-C linker=${linker}`, SPLITCACHE_TIMING_LOG: timing });
    assertOk(t, r, 'the build succeeds, each split link falling back to a plain rustc');
    t.equal((await run(join(ws, 'target/debug/lf-sys'), [])).stdout, 'from its build script\n', 'and its binary is right');
    const clients = new Set(timingLines(timing).map((l) => l.client ?? 'node'));
    t.same([...clients], [kind], `the ${client} carried the calls`);
    const lines = r.stderr.split('\n').filter((l) => l.includes('SPLITCACHE_LINK_FAILED'));
    t.ok(lines.some((l) => l.includes("SPLITCACHE_LINK_FAILED: the split link of lf-sys's build script failed where a plain rustc succeeds")), `the build script's line names its package: ${lines.join(' | ')}`);
    t.ok(lines.some((l) => l.includes('SPLITCACHE_LINK_FAILED: the split link of lf_sys failed')), "the bin's names its crate");
    t.notOk(lines.some((l) => l.includes('build_script_build')), 'no line names build_script_build');
  });
}
