import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { FileDigestMemo, initHash } from '@splitcache/hash';
import { PrefixTable } from '@splitcache/paths';
import { parseInvocation } from '@splitcache/rustc';
import { ARCHIVE, unnamedArchiveKey } from '../src/archiveKey.js';
import { bundledArchives } from '../src/bundledArchives.js';
import { nativeLibEntries } from '../src/librarySearch.js';

// An archive no -l names, in a lib's -L native dir, is keyed as ARCHIVE where it is a plain one with
// members (archiveKey.ts); the result of a compile records the bytes of those its rlib bundled
// (bundledArchives.ts). Real archives from `ar`, an rlib written as one: rustc adds a bundled
// library's members one by one, or packs it whole as one member of its file name.

await initHash();
const ws = mkdtempSync(join(tmpdir(), 'sc-bundled-'));
t.teardown(() => rmSync(ws, { recursive: true, force: true }));
const vendor = join(ws, 'vendor');
const out = join(ws, 'out');
mkdirSync(vendor);
mkdirSync(out);

/** `ar <flags> <archive> <members…>` in `dir`, each member written first with its own name as its bytes (or `text`). */
function ar(dir: string, flags: string, archive: string, members: string[], text?: string): void {
  for (const m of members) writeFileSync(join(dir, m), text ?? m);
  rmSync(join(dir, archive), { force: true });
  const r = spawnSync('ar', [flags, archive, ...members], { cwd: dir });
  if (r.status !== 0) throw new Error(`ar ${flags} ${archive}: ${r.stderr}`);
}

ar(vendor, 'rc', 'libfoo.a', ['foo.o']);
ar(vendor, 'rc', 'libbar.a', ['bar.o']);
writeFileSync(join(vendor, 'libempty.a'), '!<arch>\n');
ar(vendor, 'rcT', 'libthin.a', ['thin.o']);
writeFileSync(join(vendor, 'libjunk.a'), 'not an archive');

const table = new PrefixTable([{ name: 'cwd', path: ws }]);
const inv = parseInvocation(['--crate-name', 'k', 'src/lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata,link', '-L', `native=${vendor}`, '--out-dir', out]);
const check = parseInvocation(['--crate-name', 'k', 'src/lib.rs', '--crate-type', 'lib', '--emit=dep-info,metadata', '-L', `native=${vendor}`, '--out-dir', out]);
const keyOf = async (i = inv) => (await nativeLibEntries(i, ws, table, new FileDigestMemo(0))).map(([name, value]): [string, string] => [name, value]);
const NOT_SINCE = () => Date.now() + 60_000;

t.test('only a plain archive with members is keyed as ARCHIVE; its bytes then leave the key', async (t) => {
  const files = new FileDigestMemo(0);
  t.equal(await unnamedArchiveKey(join(vendor, 'libfoo.a'), files), ARCHIVE, 'a plain archive of one member');
  for (const other of ['libempty.a', 'libthin.a', 'libjunk.a']) t.not(await unnamedArchiveKey(join(vendor, other), files), ARCHIVE, `${other}: keyed by its bytes`);
  const before = await keyOf();
  ar(vendor, 'rc', 'libfoo.a', ['foo.o'], 'foo, rebuilt');
  t.same(await keyOf(), before, 'a plain archive rebuilt: the same key');
  writeFileSync(join(vendor, 'libempty.a'), '!<arch>\n\n');
  t.notSame(await keyOf(), before, 'an empty one changed: another key');
  writeFileSync(join(vendor, 'libempty.a'), '!<arch>\n');
  t.ok((await keyOf(check)).every(([, v]) => v === 'present'), 'a check keys each as there, as before');
});

t.test("a result records the bytes of the archives its rlib bundled, member by member or packed, and no other's", async (t) => {
  const key = await keyOf();
  const files = new FileDigestMemo(0);
  const digestOf = (f: string) => files.digest(join(vendor, f));
  ar(out, 'rc', 'libk.rlib', ['lib.rmeta', 'k.k.0-cgu.0.rcgu.o']);
  t.same(await bundledArchives(inv, ws, table, files, key, NOT_SINCE), [], 'an rlib bundling nothing: no input');
  ar(out, 'rc', 'libk.rlib', ['lib.rmeta', 'k.k.0-cgu.0.rcgu.o', 'foo.o']);
  t.same(await bundledArchives(inv, ws, table, files, key, NOT_SINCE), [[table.normalise(join(vendor, 'libfoo.a')), await digestOf('libfoo.a')]], "one holding foo.o: libfoo.a's bytes");
  ar(out, 'rc', 'libk.rlib', ['lib.rmeta', 'k.k.0-cgu.0.rcgu.o', 'libbar.a']);
  t.same(await bundledArchives(inv, ws, table, files, key, NOT_SINCE), [[table.normalise(join(vendor, 'libbar.a')), await digestOf('libbar.a')]], "one holding libbar.a packed: libbar.a's bytes");
  t.equal(await bundledArchives(inv, ws, table, files, key, () => 0), 'input-modified-during-compile', 'a bundled archive changed since the compile started: not stored');
  writeFileSync(join(vendor, 'libnew.a'), '!<arch>\n');
  t.equal(await bundledArchives(inv, ws, table, files, key, NOT_SINCE), 'input-modified-during-compile', 'a library added to the dir since the key: not stored');
  rmSync(join(vendor, 'libnew.a'));
  writeFileSync(join(out, 'libk.rlib'), 'no archive');
  t.equal(await bundledArchives(inv, ws, table, files, key, NOT_SINCE), 'output-unreadable', 'an rlib that is no archive: not stored');
});
