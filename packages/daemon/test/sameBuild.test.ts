import t from 'tap';
import { sameBuild } from '../src/unlikePlainRun.js';

// -vV of rustc 1.95.0 with RUSTC_OVERRIDE_VERSION_STRING=1.95.99: the version is told, the commit is not.
const told = 'rustc 1.95.99\nbinary: rustc\ncommit-hash: 59807616e1fa2540724bfbac14d7976d7e4a3860\ncommit-date: 2026-04-14\nhost: x86_64-unknown-linux-gnu\nrelease: 1.95.99\nLLVM version: 22.1.2\n';

t.test('outputs naming the commit and date of the -vV are the same build of rustc', async (t) => {
  t.ok(sameBuild('rustc 1.95.0 (59807616e 2026-04-14)', told), 'an rmeta\'s version');
  t.ok(sameBuild('1.95.0 (59807616e 2026-04-14)', told), 'an .rlink header\'s version');
});

t.test('outputs of another build of rustc are not', async (t) => {
  t.notOk(sameBuild('rustc 1.97.0-nightly (e50aa6fba 2026-05-19)', told), 'a nightly\'s');
  t.notOk(sameBuild('rustc 1.95.0 (59807616e 2026-04-15)', told), 'another date');
  t.notOk(sameBuild('rustc 1.97.0-dev', 'rustc 1.97.0-dev\nbinary: rustc\ncommit-hash: unknown\ncommit-date: unknown\n'), 'a build that names no commit');
  t.notOk(sameBuild('rustc 1.95.0 (59807616e 2026-04-14)', 'rustc 1.95.0\n'), 'a -vV without its commit');
});
