import t from 'tap';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BIN, oneFileCrate, printingCrateArgs, run, Store, tempDir } from './helpers.js';

// A warning about a call's options is given by every rustc run of it: a crate that links, run as
// two halves, printed it twice (a direct call), or cargo counted "1 duplicate"; and a hit replayed
// the stored half's beside the link's. Each case below is compared with a plain rustc's stderr,
// on a miss and on a hit: before, the first two gave the warning twice on both (an options audit).

const CASES: { name: string; flags: string[]; says: RegExp }[] = [
  { name: 'an unknown target feature', flags: ['-C', 'target-feature=+nosuchfeature'], says: /unknown and unstable feature specified for `-Ctarget-feature`/ },
  { name: '-C remark without debuginfo', flags: ['-C', 'opt-level=1', '-Cremark=inline'], says: /-C remark requires "-C debuginfo=n"/ },
  { name: 'a deprecated -C option', flags: ['-C', 'inline-threshold=10'], says: /`-C inline-threshold`: this option is deprecated/ },
];

for (const c of CASES) {
  t.test(`${c.name}: the warning once, as a plain rustc gives it, on a miss and on a hit`, async (t) => {
    const store = new Store();
    t.teardown(() => store.stop());
    const crate = oneFileCrate('fn main() { println!("linked"); }\n', 'link-warn');
    const args = [...printingCrateArgs(crate), ...c.flags];
    const fresh = () => {
      rmSync(join(crate, 'out'), { recursive: true, force: true });
      mkdirSync(join(crate, 'out'));
    };
    const plain = await run('rustc', args, { cwd: crate });
    t.equal(plain.code, 0, 'a plain call links');
    t.match(plain.stderr, c.says, 'and gives the warning (else this case shows nothing)');
    for (const [i, outcome] of ['miss', 'hit'].entries()) {
      fresh();
      const r = await run(BIN, ['rustc', ...args], { cwd: crate, env: store.env({ SPLITCACHE_SESSION: `s${i}` }) });
      t.equal(r.code, 0, `${outcome}: links`);
      t.equal(r.stderr, plain.stderr, `${outcome}: stderr is the plain call's, byte for byte`);
      t.same((await store.calls(`s${i}`)).map((e) => e.outcome), [outcome], `a ${outcome}`);
    }
  });
}

t.test("the linker's own output, where the call asks for it (-W linker-messages), is shown as plainly", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = oneFileCrate('fn main() { println!("linked"); }\n', 'link-messages');
  const linker = join(tempDir('linker'), 'cc');
  writeFileSync(linker, '#!/bin/sh\necho "a word from the linker" >&2\nexec cc "$@"\n');
  chmodSync(linker, 0o755);
  // Asked for by an argument, by the root source (the `-Zno-link` half records the lint's level
  // in the .rlink, and the link half reads no source: a review's repro, lost under -A warnings),
  // or not at all.
  const main = join(crate, 'src/main.rs');
  const plainMain = readFileSync(main, 'utf8');
  for (const [flags, source] of [[['-W', 'linker-messages'], plainMain], [[], `#![warn(linker_messages)]\n${plainMain}`], [[], plainMain]] as const) {
    writeFileSync(main, source);
    const args = [...printingCrateArgs(crate), '-C', `linker=${linker}`, ...flags];
    const asked = flags.length > 0 || source !== plainMain;
    rmSync(join(crate, 'out'), { recursive: true, force: true });
    mkdirSync(join(crate, 'out'));
    const plain = await run('rustc', args, { cwd: crate });
    t.equal(plain.code, 0, 'a plain call links');
    t.equal(/a word from the linker/.test(plain.stderr), asked, `plain: the linker's words ${asked ? 'shown' : 'not shown (allowed by default)'}`);
    for (const outcome of ['miss', 'hit']) {
      rmSync(join(crate, 'out'), { recursive: true, force: true });
      mkdirSync(join(crate, 'out'));
      const r = await run(BIN, ['rustc', ...args], { cwd: crate, env: store.env() });
      t.equal(r.code, 0, `${outcome}: links`);
      const words = (text: string) => text.split('a word from the linker').length - 1;
      if (source === plainMain) t.equal(r.stderr, plain.stderr, `${outcome} (${flags.join(' ') || 'not asked'}): stderr is the plain call's`);
      // The link half has no source to quote: its note on where the level was set is one line.
      else t.equal(words(r.stderr), words(plain.stderr), `${outcome} (the source asks): the linker's words, as plainly (before: none, under -A warnings)`);
    }
  }
});

t.test("a warning naming a type too long to print names a file rustc writes beside the outputs: such a result is not stored", async (t) => {
  // rustc writes the type's full name to `<crate>.long-type-<hash>.txt` in the out dir, and the
  // warning names that file (its hash differs run by run). Stored, a hit replayed the name of a
  // file it did not write.
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = tempDir('long-type');
  const nested = `${'Option<'.repeat(24)}(u8, u16, u32, u64, i8, i16, i32, i64, String, Vec<String>)${'>'.repeat(24)}`;
  writeFileSync(join(dir, 'lt.rs'), `type A = ${nested};\ntype B = (A, A, A, A);\nunsafe extern "C" { pub fn f(x: B); }\n`);
  const out = join(dir, 'out');
  const args = ['--crate-name', 'lt', '--crate-type', 'lib', '--edition=2021', '--emit=dep-info,metadata,link', '--out-dir', out, 'lt.rs'];
  for (const [i, cached] of [false, true, true].entries()) {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out);
    const r = cached ? await run(BIN, ['rustc', ...args], { cwd: dir, env: store.env() }) : await run('rustc', args, { cwd: dir });
    t.equal(r.code, 0, `call ${i} compiles`);
    const named = /'([^']*\.long-type-\d+\.txt)'/.exec(r.stderr)?.[1];
    t.ok(named, `call ${i}: the warning names the long type's file`);
    t.ok(named !== undefined && existsSync(resolve(dir, named)), `call ${i}: and it is there (${named})`);
  }
  const stats = await store.stats();
  t.same(stats.notStored, { 'long-type-file': 2 }, 'both cached calls compiled, neither stored');
});
