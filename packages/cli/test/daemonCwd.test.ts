import t from 'tap';
import { readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, printingCrate, Store } from './helpers.js';

// The daemon outlives the build that started it by its idle timeout (10 minutes by
// default). It must not keep that build's directory as its own working directory:
// a checkout on a volume mounted for one CI job, or on a removable disk, would not
// unmount ("target is busy") until it exits.

t.test("the daemon a build starts doesn't keep the build's directory as its working directory", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = printingCrate('anywhere');
  writeFileSync(join(crate, 'Cargo.toml'), '[package]\nname = "anywhere"\nversion = "0.1.0"\nedition = "2021"\n');
  const built = await store.cargo(crate, ['build']);
  assertOk(t, built, 'a build starts the daemon and is cached');
  t.same(await store.stats().then((s) => [s.misses, s.hits]), [1, 0], 'the daemon served it');
  t.equal(readlinkSync(`/proc/${store.daemonPid()}/cwd`), '/', "the daemon's working directory is /");
});
