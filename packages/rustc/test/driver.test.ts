import t from 'tap';
import { compilerCall, driverOf, linkHalfOf, splitPlan, parseInvocation } from '../src/index.js';

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
