import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, run, Store, tempDir } from './helpers.js';

// A call whose --remap-path-prefix, keyed as covering nothing, covers a file the entry under its
// key read misses (`remap-covers-input`). explain read that miss as "no earlier entry of this
// crate exists", beside the entry it was refused.
t.test('explain tells a miss refused for a FROM covering an included file, not a first build', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = tempDir('explain-remap');
  const data = tempDir('explain-remap-data');
  const elsewhere = tempDir('explain-remap-elsewhere');
  writeFileSync(join(data, 'gen.rs'), "pub fn place() -> &'static str { file!() }\n");
  writeFileSync(join(dir, 'inc.rs'), `include!("${data}/gen.rs");\n`);
  for (const [session, from] of [['a', elsewhere], ['b', data]] as const) {
    const out = join(dir, 'out', session);
    mkdirSync(out, { recursive: true });
    const args = ['rustc', '--edition=2021', '--crate-type', 'lib', '--crate-name', 'inc', 'inc.rs', '--emit=dep-info,metadata,link', '--out-dir', out, `--remap-path-prefix=${from}=/X`];
    t.equal((await run(BIN, args, { cwd: dir, env: store.env({ SPLITCACHE_SESSION: session }) })).code, 0, `${session} compiles`);
  }
  t.same((await store.calls()).map((e) => `${e.outcome}:${e.reason}`), ['miss:new-key', 'miss:remap-covers-input'], 'b is refused a\'s entry');
  const json = JSON.parse((await store.splitcache(['explain', 'inc', '--json'])).stdout) as { verdict: string; notStored?: string };
  t.equal(json.verdict, 'remap-covers-input', 'its verdict (old code: first-build)');
  t.equal(json.notStored, 'remap-covers-input', 'and its own result was not stored');
  const text = (await store.splitcache(['explain', 'inc'])).stdout;
  t.match(text, /missed because a --remap-path-prefix of this call/, 'the text says so');
  t.notMatch(text, /no earlier entry/, 'and not that there was none');
});
