import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, printingCrate, run, Store } from './helpers.js';

// `splitcache cargo <args…>`: cargo with the wrapper set and a fresh session id,
// whose calls its summary line counts (docs/CONFIG.md: an empty setting is the
// same as an unset one).

t.test('splitcache cargo makes a fresh session for each build when SPLITCACHE_SESSION is unset or empty, and keeps one that is set', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const crate = printingCrate('in a session');
  writeFileSync(join(crate, 'Cargo.toml'), '[package]\nname = "in-a-session"\nversion = "0.1.0"\nedition = "2021"\n');
  const build = async (session: string | undefined) => {
    const env = store.env();
    if (session === undefined) delete env.SPLITCACHE_SESSION;
    else env.SPLITCACHE_SESSION = session;
    assertOk(t, await run('cargo', ['clean', '-q'], { cwd: crate, env }), 'cargo clean');
    const r = await run(BIN, ['cargo', 'build', '-q'], { cwd: crate, env });
    assertOk(t, r, `splitcache cargo build (SPLITCACHE_SESSION ${session === undefined ? 'unset' : JSON.stringify(session)})`);
    return r;
  };
  await build(undefined);
  await build('');
  await build('named');
  const sessions = (await store.calls()).map((e) => e.session);
  t.equal(sessions.length, 3, 'three calls looked up');
  t.match(sessions[0], /^[0-9a-f]{12}$/, 'unset: a fresh session');
  t.match(sessions[1], /^[0-9a-f]{12}$/, 'empty: a fresh session too');
  t.not(sessions[1], sessions[0], 'each build its own');
  t.equal(sessions[2], 'named', 'a session that is set is kept');
});
