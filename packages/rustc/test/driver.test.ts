import t from 'tap';
import { compilerCall, crateNameOfCall, driverOf, linkHalfOf, rustcArgsOf, splitPlan, parseInvocation } from '../src/index.js';

const RUSTC = '/t/bin/rustc';
const ARGS = ['--crate-name', 'build_script_build', 'build.rs', '--crate-type', 'bin', '--emit=dep-info,link', '--out-dir', '/w/target/debug/build/x-1'];

t.test('a call of rustc, or of a known driver given a rustc, is a compiler call', async (t) => {
  t.same(compilerCall([RUSTC, ...ARGS]), { program: RUSTC, lead: [], args: ARGS }, 'rustc: its arguments are rustc\'s');
  t.same(compilerCall(['/t/bin/clippy-driver', RUSTC, ...ARGS]), { program: '/t/bin/clippy-driver', lead: [RUSTC], args: ARGS, driver: 'clippy-driver' }, 'clippy-driver: it runs, given the rustc path first');
  t.equal(compilerCall(['/t/bin/clippy-driver', '--crate-name', 'x']), undefined, 'a driver given no rustc is not one');
  t.equal(compilerCall(['/usr/bin/cargo', RUSTC, ...ARGS]), undefined, 'another program in front of rustc is not one');
  t.equal(compilerCall([]), undefined);
  t.equal(driverOf('/t/bin/clippy-driver'), 'clippy-driver');
  t.equal(driverOf('/t/bin/rustc'), undefined);
});

t.test('the link half of a driver\'s -Zno-link run keeps the rustc path before rustc\'s arguments', async (t) => {
  const plan = splitPlan(parseInvocation(ARGS), 'v0');
  const own = linkHalfOf(plan.noLinkArgs);
  const driven = linkHalfOf([RUSTC, ...plan.noLinkArgs], [RUSTC]);
  t.same(driven.linkOnlyArgs, [RUSTC, ...own.linkOnlyArgs], 'the same link step, led by the rustc path');
  t.equal(driven.rlinkPath, own.rlinkPath);
  t.ok(own.linkOnlyArgs.includes('-Zlink-only'));
});

// A call through another program is counted by its crate (cli/test/otherProgram.test.ts): its
// `--crate-name`, in either spelling, found after the program, and after the rustc behind it.
t.test("the crate of a call through another program, and rustc's arguments as near as they can be told", async (t) => {
  t.equal(crateNameOfCall(['/opt/bin/my-compiler', '--crate-name', 'app', 'src/main.rs']), 'app', 'a compiler named otherwise');
  t.equal(crateNameOfCall(['/opt/bin/my-compiler', '--crate-name=app', 'src/main.rs']), 'app', 'the = spelling');
  t.equal(crateNameOfCall(['cargo-auditable', '/usr/bin/rustc', '--crate-name', 'lib', 'src/lib.rs']), 'lib', 'a tool in front of rustc');
  t.same(rustcArgsOf(['cargo-auditable', '/usr/bin/rustc', '--edition=2021', 'src/lib.rs']), ['--edition=2021', 'src/lib.rs'], 'without the rustc path');
  t.same(rustcArgsOf(['rustc', '-vV']), ['-vV'], "rustc's own");
  t.equal(crateNameOfCall(['my-compiler', '-vV']), '', 'none for an info call');
});
