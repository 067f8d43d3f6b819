import t, { type Test } from 'tap';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, fileTree, run, Store, tempDir } from './helpers.js';
import { Runner, startServe } from './remoteHelpers.js';

// A `--remap-path-prefix` whose FROM covers no path of a call (the checkout's, for a registry
// crate built in its own dir into a target dir outside the checkout: CI's CARGO_TARGET_DIR=/cache/t)
// changes none of its outputs. It was keyed as written, so every registry crate missed in a
// second checkout (a hunt: 8 hits of 72). It is now keyed as covering nothing, where it covers
// none of the call's paths, none of a stored result's inputs and none of those looked up.

/** A bin on Debian's itoa, built offline from its directory source. */
const ITOA_APP = {
  'Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\nitoa = "1"\n',
  'src/main.rs': 'fn main() { println!("{}", itoa::Buffer::new().format(42u32)); }\n',
  '.cargo/config.toml': '[source.crates-io]\nreplace-with = "deb"\n[source.deb]\ndirectory = "/usr/share/cargo/registry"\n',
};
const NO_ITOA = !existsSync('/usr/share/cargo/registry/itoa-1.0.1') && 'no Debian itoa sources';

interface Built {
  ws: string;
  target: string;
  calls: string[];
  bin: Buffer;
}

/**
 * `files` in one checkout per entry of `flags`, built in that order on one store, each into a
 * target dir of its own outside it, with `RUSTFLAGS` of `flags(ws)`; each checkout's calls as
 * `crate:outcome` and its binary, which must be a plain cargo build's of that checkout, byte for byte.
 */
async function builtEach(t: Test, files: Record<string, string>, bin: string, flags: ((ws: string) => string)[]): Promise<Built[]> {
  const store = new Store();
  t.teardown(() => store.stop());
  const out: Built[] = [];
  for (const [i, rustflags] of flags.map((f, i) => [i, f] as const)) {
    const ws = fileTree(files, `remap-free-${i}`);
    const target = tempDir(`remap-free-target-${i}`);
    const env = { RUSTFLAGS: rustflags(ws), CARGO_TARGET_DIR: target };
    assertOk(t, await store.cargo(ws, ['build', '--offline'], { ...env, SPLITCACHE_SESSION: `s${i}` }), `checkout ${i} builds`);
    const plain = tempDir(`remap-free-plain-${i}`);
    assertOk(t, await run('cargo', ['build', '--offline'], { cwd: ws, env: { ...process.env, ...env, CARGO_TARGET_DIR: plain, CARGO_INCREMENTAL: '0', RUSTC_WRAPPER: '' } }), `plain cargo builds checkout ${i}`);
    const binary = readFileSync(join(target, 'debug', bin));
    t.ok(binary.equals(readFileSync(join(plain, 'debug', bin))), `checkout ${i}'s binary is plain cargo's, byte for byte`);
    out.push({ ws, target, calls: (await store.calls(`s${i}`)).map((e) => `${e.crate}:${e.outcome}`).sort(), bin: binary });
  }
  return out;
}

t.test("CI's shape: the checkout remapped, CARGO_TARGET_DIR outside it: registry crates hit in a second checkout", { skip: NO_ITOA }, async (t) => {
  const [, b] = await builtEach(t, ITOA_APP, 'app', [(ws) => `--remap-path-prefix=${ws}=/build`, (ws) => `--remap-path-prefix=${ws}=/build`]);
  t.same(b!.calls, ['app:hit', 'itoa:hit'], 'itoa hits too (old code: itoa:miss)');
  t.equal((await run(join(b!.target, 'debug', 'app'), [])).stdout, '42\n', "B's binary runs");
});

// A FROM that covers the registry crate's own dir in one checkout's flags, and another that covers
// nothing in the other's: itoa's outputs differ (its debuginfo names /reg/… in one), so they must not be shared.
t.test('a FROM covering the registry dir in one checkout only: its registry crates are not shared', { skip: NO_ITOA }, async (t) => {
  const [, b, c] = await builtEach(t, ITOA_APP, 'app', [
    (ws) => `--remap-path-prefix=${ws}=/build --remap-path-prefix=/usr/share/cargo/registry=/reg`,
    (ws) => `--remap-path-prefix=${ws}=/build --remap-path-prefix=/opt/elsewhere=/reg`,
    (ws) => `--remap-path-prefix=${ws}=/build --remap-path-prefix=/usr/share/cargo=/reg`,
  ]);
  t.same(b!.calls, ['app:miss', 'itoa:miss'], "B misses itoa: A's names /reg");
  t.same(c!.calls, ['app:miss', 'itoa:miss'], "C misses itoa: its FROM, the registry's parent, maps it otherwise than A's");
});

/** A bin that includes a file from a dir outside the checkout and prints that file's file!(). */
function includingApp(data: string): Record<string, string> {
  return {
    'Cargo.toml': '[package]\nname = "inc"\nversion = "0.1.0"\nedition = "2021"\n',
    'src/main.rs': `include!("${data}/gen.rs");\nfn main() { println!("{}", place()); }\n`,
  };
}

function dataDir(): string {
  const data = tempDir('remap-free-data');
  writeFileSync(join(data, 'gen.rs'), 'pub fn place() -> &\'static str { file!() }\n');
  return data;
}

// Only dep-info names the included file: a FROM covering it covers no path the key knows of.
// Stored under the key of a FROM covering nothing, its result served a call whose FROM covers it.
t.test('a FROM covering only an included file: a result is not shared with a call that maps it otherwise', async (t) => {
  const data = dataDir();
  const other = tempDir('remap-free-other');
  const runs = async (b: Built) => (await run(join(b.target, 'debug', 'inc'), [])).stdout;
  await t.test('stored by a FROM covering nothing, looked up by one covering the file', async (t) => {
    const [a, b] = await builtEach(t, includingApp(data), 'inc', [(ws) => `--remap-path-prefix=${ws}=/build --remap-path-prefix=${other}=/X`, (ws) => `--remap-path-prefix=${ws}=/build --remap-path-prefix=${data}=/X`]);
    t.equal(await runs(a!), `${data}/gen.rs\n`, "A's file!() is the file's own path");
    t.same(b!.calls, ['inc:miss'], "B misses: its FROM covers the included file (old code: it hit A's)");
    t.equal(await runs(b!), '/X/gen.rs\n', "B's file!() is remapped");
  });
  await t.test('compiled by a FROM covering the file, looked up by one covering nothing', async (t) => {
    const [a, b] = await builtEach(t, includingApp(data), 'inc', [(ws) => `--remap-path-prefix=${ws}=/build --remap-path-prefix=${data}=/X`, (ws) => `--remap-path-prefix=${ws}=/build --remap-path-prefix=${other}=/X`]);
    t.equal(await runs(a!), '/X/gen.rs\n', "A's file!() is remapped");
    t.same(b!.calls, ['inc:miss'], "B misses: A's result maps the file");
    t.equal(await runs(b!), `${data}/gen.rs\n`, "B's file!() is the file's own path");
  });
});

// The same through a remote: runner B's store is empty, and the input set A published records the
// included file, which B's FROM covers. Before the remote's check, B got A's file!() from it.
t.test("a remote's result is not served to a call whose FROM keyed as covering nothing covers one of its inputs", async (t) => {
  const serve = await startServe();
  t.teardown(() => serve.stop());
  const [a, b] = ['a', 'b'].map((n) => new Runner({ SPLITCACHE_REMOTE: serve.url, SPLITCACHE_PRODUCER: `runner-${n}` })) as [Runner, Runner];
  t.teardown(() => a.stop());
  t.teardown(() => b.stop());
  const data = dataDir();
  const other = tempDir('remap-free-other');
  const [wsA, wsB] = ['a', 'b'].map((n) => fileTree(includingApp(data), `remap-free-remote-${n}`)) as [string, string];
  assertOk(t, await a.cargo(wsA, ['build'], { RUSTFLAGS: `--remap-path-prefix=${other}=/X`, SPLITCACHE_SESSION: 'a' }), 'runner A builds');
  t.match((await a.splitcache(['server', 'stop'])).stdout, /stopped/, "A's uploads are flushed");
  assertOk(t, await b.cargo(wsB, ['build'], { RUSTFLAGS: `--remap-path-prefix=${data}=/X`, SPLITCACHE_SESSION: 'b' }), 'runner B builds');
  const calls = (await b.calls('b')).map((e) => `${e.crate}:${e.outcome}:${e.origin ?? ''}`);
  t.same(calls, ['inc:miss:'], 'B compiles it (old code: a remote hit)');
  t.equal((await run(join(wsB, 'target', 'debug', 'inc'), [])).stdout, '/X/gen.rs\n', "B's file!() is remapped");
});
