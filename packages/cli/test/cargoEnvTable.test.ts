import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, Store } from './helpers.js';

// splitcache has no settings file of its own: a project's .cargo/config.toml is one, for cargo
// passes its [env] table to every call of the wrapper, the `rustc -vV` probe that starts the
// daemon included (docs/CONFIG.md). A second project on the same store whose table asks for
// other settings is told, as a shell with other variables is.

function project(name: string, table?: string): string {
  const dir = fileTree({
    'Cargo.toml': `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n`,
    'src/main.rs': 'fn main() { println!("hi"); }\n',
  }, name);
  if (table !== undefined) {
    mkdirSync(join(dir, '.cargo'));
    writeFileSync(join(dir, '.cargo', 'config.toml'), `[env]\n${table}`);
  }
  return dir;
}

t.test("a project's [env] table gives the daemon its settings, and another project's other settings are named", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const noProducer = { SPLITCACHE_PRODUCER: undefined }; // unset: an empty one is set, for cargo, and the table would not apply
  const a = project('env-table', 'SPLITCACHE_PRODUCER = "team-laptop"\n');
  const first = await store.cargo(a, ['build'], { ...noProducer, SPLITCACHE_SESSION: 'first' });
  assertOk(t, first, 'the build succeeds');
  t.notMatch(first.stderr, /SPLITCACHE_/, 'and says nothing of its settings: they started the daemon');
  assertOk(t, await store.cargo(a, ['clean']), 'clean');
  assertOk(t, await store.cargo(a, ['build'], { ...noProducer, SPLITCACHE_SESSION: 'second' }), 'the warm build succeeds');
  const hits = (await store.audit('second')).filter((e) => e.outcome === 'hit');
  t.equal(hits.length, 1, 'its crate hits');
  t.equal(hits[0]?.producer, 'team-laptop', "the entry was stored under the table's producer");

  const b = project('other-table', 'SPLITCACHE_PRODUCER = "another-team"\n');
  const other = await store.cargo(b, ['build'], noProducer);
  assertOk(t, other, "another project's build succeeds");
  t.match(other.stderr, /SPLITCACHE_CONFIG_STALE: .*SPLITCACHE_PRODUCER/, "and is told the daemon has other settings than its table's");

  assertOk(t, await store.cargo(a, ['clean']), 'clean');
  const shellWins = await store.cargo(a, ['build'], { SPLITCACHE_PRODUCER: 'from-the-shell' });
  t.match(shellWins.stderr, /SPLITCACHE_CONFIG_STALE: .*SPLITCACHE_PRODUCER/, "a variable set in the shell wins over the table's (cargo's rule)");
});
