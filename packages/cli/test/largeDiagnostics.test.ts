import t from 'tap';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store, tempDir } from './helpers.js';

// A crate of thousands of warnings (generated code, say) has megabytes of diagnostics, which a hit
// replays. They now stay bytes from the store to the caller (no base64 or text detour in the daemon,
// whose every copy of such output was another tens of MB held): replayed byte for byte as plain
// cargo shows them, with each path put back for the checkout that hits, by either client.

// Generated code (bindings, say) with thousands of warnings: its source is in OUT_DIR, which rustc
// names by absolute path, so another checkout's warnings name another file.
const WARNINGS = 4000;
const TREE = {
  'Cargo.toml': '[package]\nname = "noisy"\nversion = "0.1.0"\nedition = "2021"\n',
  'build.rs': `fn main() {
    let mut s = String::new();
    for i in 0..${WARNINGS} { s.push_str(&format!("pub fn f{i}() {{ let unused_{i} = {i}; }}\\n")); }
    std::fs::write(std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("gen.rs"), s).unwrap();
}
`,
  'src/lib.rs': 'include!(concat!(env!("OUT_DIR"), "/gen.rs"));\n',
};

/** Cargo's stderr without its own progress lines and splitcache's summary: the warnings alone. */
function warnings(stderr: string): string {
  return stderr.split('\n').filter((l) => !/^\s*(Compiling|Finished|Blocking)\b|^splitcache: /.test(l)).join('\n');
}

for (const client of ['exec port', 'node client'] as const) {
  t.test(`megabytes of warnings are replayed byte for byte, with the hitting checkout's paths (${client})`, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    const env = client === 'node client' ? { SPLITCACHE_CLIENT: 'node' } : {};
    const first = fileTree(TREE, 'noisy');
    const other = join(tempDir('noisy-other'), 'elsewhere');
    cpSync(first, other, { recursive: true });

    const plain = await run('cargo', ['build', '--color=never'], { cwd: other, env: store.env({ SPLITCACHE_DISABLE: '1' }) });
    assertOk(t, plain, 'the plain build');
    const expected = warnings(plain.stderr);
    t.ok(expected.length > 1_000_000, `plain cargo printed ${expected.length} bytes of warnings`);
    t.ok(expected.includes(join(other, 'target', 'debug', 'build')), 'they name the generated source by its absolute path');
    assertOk(t, await run('cargo', ['clean', '-q'], { cwd: other }));

    assertOk(t, await run('cargo', ['build', '--color=never'], { cwd: first, env: store.env(env) }), 'the build that stores');
    const hit = await run('cargo', ['build', '--color=never'], { cwd: other, env: store.env(env) });
    assertOk(t, hit, 'the build in another checkout');
    t.same((await store.calls()).slice(-2).map((c) => c.outcome), ['hit', 'hit'], 'the build script and the crate hit');
    const got = warnings(hit.stderr);
    t.equal(got.length, expected.length, 'as many bytes as plain cargo printed');
    t.ok(got === expected, 'the same bytes');
    t.notOk(got.includes(first), "nothing of the storing checkout's path");
  });
}
