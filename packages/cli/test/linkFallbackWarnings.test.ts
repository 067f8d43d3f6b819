import t from 'tap';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileTree, run, Store, tempDir } from './helpers.js';

// A crate that links, whose split link fails, is compiled again by a plain rustc
// (callFlow.ts): its warnings came from the -Zno-link half and then again from that rustc,
// and cargo counted them twice ("generated 2 warnings (1 duplicate)", "2 warnings emitted")
// where a plain build says 1. Each case compares cargo's summary lines, and the number of
// compiler messages under --message-format=json, with plain cargo's.

const MAIN = (body: string) => `#[link(name = "scgreet")]\nunsafe extern "C" { fn sc_greet() -> i32; }\nfn main() {\n    let mut unused = 1;\n    ${body}\n}\n`;
const crate = (main: string) =>
  fileTree({ 'Cargo.toml': '[package]\nname = "greets"\nversion = "0.1.0"\nedition = "2021"\n', 'src/main.rs': main }, 'link-fallback-warn');
/** cargo's own lines about the crate: its warning count, and its error's. */
const summary = (stderr: string) => stderr.split('\n').filter((l) => /^(warning|error): .*`greets`/.test(l));
const messages = (stdout: string) => stdout.split('\n').filter((l) => l.includes('"reason":"compiler-message"')).length;

async function plainCargo(ws: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  rmSync(join(ws, 'target'), { recursive: true, force: true });
  return run('cargo', args, { cwd: ws, env: { ...process.env, CARGO_INCREMENTAL: '0', CARGO_TERM_COLOR: 'never', ...env } });
}

t.test("a crate's own link error: its warning is counted once, on a miss and on the hit after it", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = crate(MAIN('println!("{}", unsafe { sc_greet() });'));
  const plain = await plainCargo(ws, ['build']);
  t.not(plain.code, 0, 'a plain build fails to link');
  t.match(summary(plain.stderr).join('\n'), /generated \d+ warnings?\b(?! \(\d+ duplicate)/, 'and counts its warnings, none a duplicate (else this case shows nothing)');
  for (const session of ['miss', 'hit']) {
    rmSync(join(ws, 'target'), { recursive: true, force: true });
    const r = await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: session });
    t.equal(r.code, plain.code, `${session}: fails as plain cargo does`);
    t.same(summary(r.stderr), summary(plain.stderr), `${session}: cargo's lines about the crate are plain cargo's`);
  }
  t.same((await store.calls()).map((e) => e.reason ?? e.outcome), ['new-key', 'link-error'], 'a miss, then a hit whose link failed as a plain one does');
  const json = ['build', '--message-format=json'];
  const plainJson = await plainCargo(ws, json);
  rmSync(join(ws, 'target'), { recursive: true, force: true });
  const r = await store.cargo(ws, json);
  t.equal(messages(r.stdout), messages(plainJson.stdout), `as many compiler messages as plain cargo's (${messages(plainJson.stdout)})`);
});

t.test('a split link that fails where a plain rustc links: the warning is counted once', async (t) => {
  const linker = join(tempDir('linker'), 'cc-unless-split');
  writeFileSync(linker, '#!/bin/sh\nif [ -n "$RUSTC_BOOTSTRAP" ]; then echo "refusing the split link" >&2; exit 1; fi\nexec cc "$@"\n');
  chmodSync(linker, 0o755);
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = crate('fn main() {\n    let mut unused = 1;\n}\n');
  const env = { RUSTFLAGS: `-C linker=${linker}` };
  const plain = await plainCargo(ws, ['build'], env);
  t.equal(plain.code, 0, 'a plain build links');
  t.match(summary(plain.stderr).join('\n'), /generated \d+ warnings?\b(?! \(\d+ duplicate)/, 'and counts its warnings, none a duplicate');
  for (const client of ['exec-port', 'node']) {
    rmSync(join(ws, 'target'), { recursive: true, force: true });
    const r = await store.cargo(ws, ['build'], { ...env, ...(client === 'node' ? { SPLITCACHE_CLIENT: 'node' } : {}) });
    t.equal(r.code, 0, `${client}: the build falls back to a plain rustc and succeeds`);
    t.match(r.stderr, /SPLITCACHE_LINK_FAILED/, 'saying why');
    t.same(summary(r.stderr), summary(plain.stderr), `${client}: cargo's lines about the crate are plain cargo's`);
  }
});

t.test('a crate that reads RUSTC_BOOTSTRAP, whose plain rerun fails: its warning is counted once, through both clients', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  // The -Zno-link half sees RUSTC_BOOTSTRAP=1 and builds; the rerun as given fails, as a plain build does.
  // Its error comes after the lints (a const's evaluation), so a plain build shows the warnings too.
  const ws = crate('const _: () = assert!(option_env!("RUSTC_BOOTSTRAP").is_some());\nfn main() {\n    let mut unused = 1;\n}\n');
  const plain = await plainCargo(ws, ['build']);
  t.not(plain.code, 0, 'a plain build fails');
  t.match(summary(plain.stderr).join('\n'), /generated \d+ warnings?\b(?! \(\d+ duplicate)/, 'and counts its warnings, none a duplicate');
  for (const client of ['exec-port', 'node']) {
    rmSync(join(ws, 'target'), { recursive: true, force: true });
    const r = await store.cargo(ws, ['build'], client === 'node' ? { SPLITCACHE_CLIENT: 'node' } : {});
    t.equal(r.code, plain.code, `${client}: fails as plain cargo does`);
    t.same(summary(r.stderr), summary(plain.stderr), `${client}: cargo's lines about the crate are plain cargo's`);
  }
});
