import t from 'tap';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store } from './helpers.js';
import { producerAndReader } from './remoteHelpers.js';

// A module directory that is a symlink (src/link -> ../shared/module), whose file includes
// "../data.txt": rustc names that input `src/link/../data.txt`, and the kernel takes `..` from
// where the link points, shared/. path.resolve() dropped `link/..` and digested src/data.txt,
// another file, so a change to shared/data.txt hit with the old text.

const pkg = () => {
  const ws = fileTree({
    'Cargo.toml': '[package]\nname = "linkdir"\nversion = "0.1.0"\nedition = "2021"\n',
    'src/main.rs': 'mod link;\nfn main() { println!("{}", link::TEXT); }\n',
    'shared/module/mod.rs': 'pub const TEXT: &str = include_str!("../data.txt");\n',
    'shared/data.txt': 'shared one',
    // What a lexical resolve of src/link/../data.txt names: a file that never changes.
    'src/data.txt': 'decoy',
  });
  symlinkSync('../shared/module', join(ws, 'src/link'));
  return ws;
};

const plainPrints = async (ws: string) => {
  await run('cargo', ['clean'], { cwd: ws });
  const r = await run('cargo', ['build'], { cwd: ws, env: { ...process.env, CARGO_INCREMENTAL: '0', RUSTC_WRAPPER: '' } });
  return r.code === 0 ? (await run(join(ws, 'target/debug/linkdir'), [])).stdout : `plain build failed: ${r.stderr}`;
};

t.test('a file included through a symlinked module dir and `..`: a change to it is a miss', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = pkg();
  const build = async (session: string) => {
    await store.cargo(ws, ['clean']);
    const r = await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: session });
    assertOk(t, r, `build ${session}`);
    return { outcomes: (await store.calls(session)).map((e) => e.outcome), prints: (await run(join(ws, 'target/debug/linkdir'), [])).stdout };
  };
  t.same(await build('one'), { outcomes: ['miss'], prints: 'shared one\n' });
  t.same((await store.stats()).notStored, {}, 'stored');

  writeFileSync(join(ws, 'shared/data.txt'), 'shared two');
  t.equal(await plainPrints(ws), 'shared two\n', 'a plain build prints the new text');
  t.same(await build('two'), { outcomes: ['miss'], prints: 'shared two\n' }, 'so does one through splitcache (before: a hit printing "shared one")');

  t.same(await build('three'), { outcomes: ['hit'], prints: 'shared two\n' }, 'and with nothing changed, a hit');
  writeFileSync(join(ws, 'src/data.txt'), 'decoy changed');
  t.same(await build('four'), { outcomes: ['hit'], prints: 'shared two\n' }, 'the file that path.resolve() named is no input');
});

t.test('from a remote: a reader whose linked file differs misses', async (t) => {
  const { b, wsB } = await producerAndReader(t, pkg());
  writeFileSync(join(wsB, 'shared/data.txt'), 'shared other');
  assertOk(t, await b.cargo(wsB, ['build'], { SPLITCACHE_SESSION: 'other' }), 'runner B builds');
  t.notOk((await b.calls('other')).some((e) => e.outcome === 'hit'), 'A\'s result was not served');
  t.equal((await run(join(wsB, 'target/debug/linkdir'), [])).stdout, 'shared other\n', 'B\'s binary has its own text');
});
