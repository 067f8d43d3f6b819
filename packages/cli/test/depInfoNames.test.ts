import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store } from './helpers.js';

// rustc's dep-info escapes only a space in a path, and only a backslash, a
// newline and a carriage return in an env-dep value: the inputs a result
// records must be the files and values rustc read, byte for byte.

const pkg = (main: string, extra: Record<string, string> = {}) =>
  fileTree({ 'Cargo.toml': '[package]\nname = "names"\nversion = "0.1.0"\nedition = "2021"\n', 'src/main.rs': main, ...extra });

t.test('a file whose name holds two backslashes, beside one with a single backslash: a change to it is a miss', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  // x\\y.txt is included; x\y.txt is what a make-style unescape reads instead.
  // (A file whose name ends in a backslash, whose dep-info line was taken for one continued on the next,
  // is read right too (rustc/test/invocation.test.ts), but cargo itself can't read such a dep-info.)
  const ws = pkg('const A: &str = include_str!("../x\\\\\\\\y.txt");\nfn main() { println!("{A}"); }\n', { 'x\\\\y.txt': 'double', 'x\\y.txt': 'single' });
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'one' }), 'the first build');
  t.same((await store.calls('one')).map((e) => e.outcome), ['miss']);
  t.same((await store.stats()).notStored, {}, 'stored');
  t.equal((await run(join(ws, 'target/debug/names'), [])).stdout, 'double\n');

  writeFileSync(join(ws, 'x\\\\y.txt'), 'DOUBLE');
  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'two' }), 'the build after the included file changed');
  t.same((await store.calls('two')).map((e) => e.outcome), ['miss'], 'a miss');
  t.equal((await run(join(ws, 'target/debug/names'), [])).stdout, 'DOUBLE\n', 'the binary has the new text');

  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build'], { SPLITCACHE_SESSION: 'three' }));
  t.same((await store.calls('three')).map((e) => e.outcome), ['hit'], 'and nothing changed is a hit');
});

t.test('an env!() value holding a carriage return hits when it is the same', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const ws = pkg('fn main() { println!("{:?}", env!("NAMES_VALUE")); }\n');
  const value = 'line one\r\nline two\\ end';
  assertOk(t, await store.cargo(ws, ['build'], { NAMES_VALUE: value }), 'the first build');
  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build'], { NAMES_VALUE: value, SPLITCACHE_SESSION: 'same' }), 'the same value');
  t.same((await store.calls('same')).map((e) => e.outcome), ['hit'], 'a hit (before: recorded as rustc escaped it, a miss every time)');
  t.equal((await run(join(ws, 'target/debug/names'), [])).stdout, '"line one\\r\\nline two\\\\ end"\n');
  await store.cargo(ws, ['clean']);
  assertOk(t, await store.cargo(ws, ['build'], { NAMES_VALUE: value.replace('\r', ''), SPLITCACHE_SESSION: 'other' }), 'the value without it');
  t.same((await store.calls('other')).map((e) => e.outcome), ['miss'], 'another value is a miss');
});
