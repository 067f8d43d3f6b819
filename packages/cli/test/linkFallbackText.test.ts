import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, run, runOnPipes, Store, tempDir } from './helpers.js';

// A direct call (`splitcache rustc …` from a Makefile or a terminal, human text) whose split link
// fails falls back to a plain rustc (daemon/src/callFlow.ts): that rustc's warnings came after the
// -Zno-link half's, each twice, and two `warning: N warnings emitted` lines. The plain run's blocks
// the half showed are now left out (daemon/src/notShownYet.ts): the call prints what a plain
// rustc prints, and the line that says why it built uncached.

const skipTerminal = spawnSync('script', ['--version']).status === 0 ? false : 'util-linux script(1) is not installed';
const SOURCE = 'fn main() {\n    let mut unused = 1;\n    let x = 2;\n    println!("ran");\n}\n';
const LINE = /^splitcache: SPLITCACHE_LINK_FAILED: [^\n]*\n/m;

/** A linker that refuses the split link (RUSTC_BOOTSTRAP is set for the halves only), where SC_FAIL is set. */
function linker(): string {
  const path = join(tempDir('linker'), 'cc-unless-split');
  writeFileSync(path, '#!/bin/sh\nif [ -n "$RUSTC_BOOTSTRAP" ] && [ -n "$SC_FAIL" ]; then echo "refusing the split link" >&2; exit 1; fi\nexec cc "$@"\n');
  chmodSync(path, 0o755);
  return path;
}

function crate(source: string): string {
  const dir = tempDir('text-fallback');
  writeFileSync(join(dir, 'main.rs'), source);
  return dir;
}

const args = (dir: string, cc: string, name: string) => ['--crate-name', name, '--crate-type', 'bin', '--edition=2021', '--emit=dep-info,link', '-C', `linker=${cc}`, '--out-dir', join(dir, 'out'), 'main.rs'];

function clean(dir: string): void {
  rmSync(join(dir, 'out'), { recursive: true, force: true });
  mkdirSync(join(dir, 'out'));
}

const CLIENTS = [
  // node's own stdio are socket pairs, which the exec port declines: the node client runs the call.
  { client: 'node client', call: run },
  { client: 'exec port', call: runOnPipes },
];

for (const { client, call } of CLIENTS) {
  t.test(`${client}: a miss and a hit whose split link fails show a plain rustc's warnings once`, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    const cc = linker();
    const dir = crate(SOURCE);
    clean(dir);
    const plain = await run('rustc', args(dir, cc, 'tf'), { cwd: dir, env: { ...process.env, SC_FAIL: '1' } });
    t.equal(plain.code, 0, 'a plain rustc links');
    t.match(plain.stderr, /^warning: 3 warnings emitted$/m, 'and warns (else this test shows nothing)');
    for (const [what, session] of [['a miss', 'miss'], ['a hit', 'hit']] as const) {
      // The hit's entry is stored by a build whose split link works.
      if (session === 'hit') {
        clean(dir);
        t.equal((await call(BIN, ['rustc', ...args(dir, cc, 'tf')], { cwd: dir, env: store.env({ SPLITCACHE_SESSION: 'store' }) })).code, 0, 'a build stores the entry');
      }
      clean(dir);
      const r = await call(BIN, ['rustc', ...args(dir, cc, 'tf')], { cwd: dir, env: store.env({ SC_FAIL: '1', SPLITCACHE_SESSION: session }) });
      t.equal(r.code, 0, `${what}: the call falls back to a plain rustc and succeeds`);
      t.match(r.stderr, LINE, 'saying why');
      t.equal(r.stderr.replace(LINE, ''), plain.stderr, `${what}: the rest is a plain rustc's stderr, byte for byte (before: each warning twice)`);
      t.equal((await run(join(dir, 'out', 'tf'), [])).stdout, 'ran\n', 'and the binary runs');
    }
    t.same((await store.calls()).map((e) => e.outcome), ['miss', 'miss', 'miss'], 'the hit whose link failed is counted a miss');
  });
}

t.test("a crate's own link error (a plain rustc fails too): its warnings once, and the link error whole", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = crate(`#[link(name = "scnotthere")]\nunsafe extern "C" { fn sc_absent() -> i32; }\n${SOURCE.replace('println!("ran");', 'println!("{}", unsafe { sc_absent() });')}`);
  clean(dir);
  const plain = await run('rustc', args(dir, 'cc', 'tl'), { cwd: dir });
  t.not(plain.code, 0, 'a plain rustc fails to link');
  t.match(plain.stderr, /^error: linking with `cc` failed/m, 'with its link error');
  for (const { client, call } of CLIENTS) {
    clean(dir);
    const r = await call(BIN, ['rustc', ...args(dir, 'cc', 'tl')], { cwd: dir, env: store.env() });
    t.equal(r.code, plain.code, `${client}: fails as a plain rustc does`);
    // The half's own summary came before the plain run's link error: that one line is all it adds.
    // (The linker's command line names a temp dir of a random name, `out/rustcOOSc5J/symbols.o`.)
    const temps = (s: string) => s.replace(/\/rustc[A-Za-z0-9]{6}\//g, '/rustcXXXXXX/');
    t.equal(temps(r.stderr.replace(/^warning: 3 warnings emitted\n\n/m, '')), temps(plain.stderr), `${client}: a plain rustc's stderr, and the half's summary line before its link error`);
  }
});

t.test('in a terminal (colours): a miss whose split link fails shows what a plain rustc shows', { skip: skipTerminal }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const cc = linker();
  const dir = crate(SOURCE);
  const env = { TERM: 'xterm', NO_COLOR: undefined, CLICOLOR: undefined, CLICOLOR_FORCE: undefined, SC_FAIL: '1' };
  const inTerminal = async (command: string, e: NodeJS.ProcessEnv) => {
    clean(dir);
    return (await run('script', ['-qec', `${command} ${args(dir, cc, 'tt').join(' ')}; echo "exit=$?"`, '/dev/null'], { cwd: dir, env: e })).stdout;
  };
  const plain = await inTerminal('rustc', { ...process.env, ...env });
  t.ok(plain.includes('\u001b[') && plain.includes('exit=0'), 'a plain rustc colours its warnings, and links');
  for (const [client, extra] of [['exec port', {}], ['node client', { SPLITCACHE_CLIENT: 'node' }]] as const) {
    const r = await inTerminal(`${BIN} rustc`, store.env({ ...env, ...extra }));
    t.match(r, /SPLITCACHE_LINK_FAILED/, `${client}: says why it built uncached`);
    t.equal(r.replace(/^splitcache: SPLITCACHE_LINK_FAILED: [^\n]*\n/m, ''), plain, `${client}: the rest is a plain rustc's terminal bytes, colours and all`);
  }
});

t.test('a crate that reads RUSTC_BOOTSTRAP, whose plain rerun fails: its warnings once', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  // The -Zno-link half sees RUSTC_BOOTSTRAP=1 and builds; the rerun as given fails, as a plain rustc does, after the lints.
  const dir = crate(`const _: () = assert!(option_env!("RUSTC_BOOTSTRAP").is_some());\n${SOURCE}`);
  clean(dir);
  const plain = await run('rustc', args(dir, 'cc', 'tb'), { cwd: dir });
  t.not(plain.code, 0, 'a plain rustc fails');
  t.match(plain.stderr, /^warning: unused variable: `x`$/m, 'after its warnings');
  for (const { client, call } of CLIENTS) {
    clean(dir);
    const r = await call(BIN, ['rustc', ...args(dir, 'cc', 'tb')], { cwd: dir, env: store.env() });
    t.equal(r.code, plain.code, `${client}: fails as a plain rustc does`);
    t.equal(r.stderr.match(/^warning: unused variable: `x`$/gm)?.length, 1, `${client}: each warning once (before: twice)`);
    // A plain rustc gives the const's error first, then the lints; the half gave its lints before
    // the rerun's error came: the same diagnostics, and the half's summary line, in that order.
    const blocks = (s: string) => s.split(/\n\n/).sort();
    t.same(blocks(r.stderr.replace(/^warning: 3 warnings emitted\n\n/m, '')), blocks(plain.stderr), `${client}: a plain rustc's diagnostics, and the half's summary line`);
  }
});

t.test('in a terminal: a crate that reads RUSTC_BOOTSTRAP, whose plain rerun fails, shows its warnings once, in colours', { skip: skipTerminal }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = crate(`const _: () = assert!(option_env!("RUSTC_BOOTSTRAP").is_some());\n${SOURCE}`);
  const env = { TERM: 'xterm', NO_COLOR: undefined, CLICOLOR: undefined, CLICOLOR_FORCE: undefined };
  const inTerminal = async (command: string, e: NodeJS.ProcessEnv) => {
    clean(dir);
    return (await run('script', ['-qec', `${command} ${args(dir, 'cc', 'tr').join(' ')}; echo "exit=$?"`, '/dev/null'], { cwd: dir, env: e })).stdout;
  };
  const plain = await inTerminal('rustc', { ...process.env, ...env });
  t.ok(plain.includes('\u001b[') && plain.includes('exit=1'), 'a plain rustc colours its diagnostics, and fails');
  // Its diagnostics, each a block ending in a blank line (CR LF in a terminal).
  const blocks = (s: string) => s.replace(/exit=\d+\r\n$/, '').split(/\r\n\r\n/).sort();
  for (const [client, extra] of [['exec port', {}], ['node client', { SPLITCACHE_CLIENT: 'node' }]] as const) {
    const r = await inTerminal(`${BIN} rustc`, store.env({ ...env, ...extra }));
    t.match(r, /exit=1/, `${client}: fails as a plain rustc does`);
    // The half's summary line aside (`warning: 3 warnings emitted`, coloured), the same coloured blocks as plain rustc's, each once.
    const summary = r.split(/\r\n\r\n/).find((b) => b.includes('3 warnings emitted') && !b.includes('aborting'));
    t.ok(summary, `${client}: the half's summary line`);
    t.same(blocks(r.replace(`${summary}\r\n\r\n`, '')), blocks(plain), `${client}: the rest is a plain rustc's diagnostics, colours and all, each once`);
  }
});
