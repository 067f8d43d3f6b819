import t from 'tap';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store, tempDir } from './helpers.js';

// With a build dir apart from the target dir (`build.build-dir`, cargo 1.91) and the target dir
// given as `--target-dir` (no variable names it), an integration test's CARGO_BIN_EXE_* paths,
// which its key holds, named a dir under no prefix: a package's tests missed in every other
// checkout, reading the variable or not (prefixes.ts). One that reads it still must miss: the
// test runs the path pasted into it.
const PACKAGE = {
  'Cargo.toml': '[package]\nname = "tool"\nversion = "0.1.0"\nedition = "2021"\n',
  '.cargo/config.toml': '[build]\nbuild-dir = "{cargo-cache-home}/build/{workspace-path-hash}"\n',
  'src/main.rs': 'fn main() { println!("tool ran"); }\n',
  'tests/quiet.rs': '#[test]\nfn adds() { assert_eq!(2 + 2, 4); }\n',
  'tests/runs.rs':
    '#[test]\nfn runs_its_bin() {\n    let bin = env!("CARGO_BIN_EXE_tool");\n    let out = std::process::Command::new(bin).output().unwrap();\n' +
    '    assert_eq!(String::from_utf8_lossy(&out.stdout), "tool ran\\n");\n    println!("ran {bin}");\n}\n',
};

t.test('an integration test hits in a checkout with another --target-dir, its build dir apart; one running its CARGO_BIN_EXE_ misses', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const cargoHome = tempDir('bin-exe-home');
  const ran: string[] = [];
  for (const session of ['a', 'b']) {
    const ws = fileTree(PACKAGE, `bin-exe-${session}`);
    const target = join(tempDir(`bin-exe-target-${session}`), 't');
    const built = await store.cargo(ws, ['test', '--target-dir', target, '--', '--nocapture'], { SPLITCACHE_SESSION: session, CARGO_HOME: cargoHome });
    assertOk(t, built, `the tests of checkout ${session} build and pass`);
    ran.push(/^ran (.*)$/m.exec(built.stdout)?.[1] ?? '');
    t.equal(ran.at(-1), join(target, 'debug', 'tool'), `checkout ${session}'s test ran the bin of its own target dir`);
  }
  const calls = await store.calls('b');
  const outcome = (crate: string) => calls.find((c) => c.crate === crate)?.outcome;
  t.equal(outcome('quiet'), 'hit', 'the test that reads no CARGO_BIN_EXE_ hits');
  t.equal(outcome('tool'), 'hit', 'the bin hits');
  t.equal(outcome('runs'), 'miss', 'the test that pastes CARGO_BIN_EXE_tool misses');
  t.equal((await run(join(ran[1]!), [])).stdout, 'tool ran\n', "B's bin runs");
});
