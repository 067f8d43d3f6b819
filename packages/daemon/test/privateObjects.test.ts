import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listRlinkPaths } from '@splitcache/paths';
import { parseInvocation } from '@splitcache/rustc';
import { linkDeletes, ownMissObjects } from '../src/privateObjects.js';

// A miss's objects are moved to names of the call's own and its .rlink rewritten to name them
// (privateObjects.ts). Where the rewrite can't be written (its disk full), they go back to their
// plain names, which the .rlink still has: left renamed, the link found none, failed, and its
// good entry was evicted. Real `rustc -Zno-link` output, on a tmpfs filled before the rewrite.

const HOST = 'x86_64-unknown-linux-gnu';

function noLink(outDir: string): ReturnType<typeof parseInvocation> {
  const src = join(outDir, '..', 'main.rs');
  writeFileSync(src, 'fn main() { println!("hi"); }\n');
  const args = ['--crate-name', 'pm', '--crate-type', 'bin', '--out-dir', outDir, '-C', 'codegen-units=2', src];
  const r = spawnSync('rustc', ['-Zno-link', ...args], { env: { ...process.env, RUSTC_BOOTSTRAP: '1' }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`rustc -Zno-link failed: ${r.stderr}`);
  return parseInvocation(args);
}

const objects = (dir: string) => readdirSync(dir).filter((f) => f.includes('.rcgu.o')).sort();

t.test('with room: the objects move to names of their own, which the .rlink now names', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'own-objects-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const out = join(root, 'out');
  mkdirSync(out);
  const inv = noLink(out);
  const before = objects(out);
  const own = await ownMissObjects(join(out, 'pm.rlink'), inv, root, HOST);
  t.equal(own.length, before.length, `each object moved (${before.length})`);
  t.ok(objects(out).every((f) => f.includes('.sc-replay-')), 'none left at its plain name');
  const named = listRlinkPaths(readFileSync(join(out, 'pm.rlink'))).filter((p) => p.endsWith('.o') || p.includes('.rcgu.o'));
  t.same(named.filter((p) => own.includes(p)).sort(), [...own].sort(), 'the .rlink names each own name');
});

const mnt = mkdtempSync(join(tmpdir(), 'own-objects-full-'));
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]).status === 0;
t.teardown(() => {
  if (mounted) spawnSync('umount', ['-l', mnt]);
  rmSync(mnt, { recursive: true, force: true });
});

t.test('the .rlink rewrite on a full disk: the objects go back to their plain names', { skip: !mounted && 'cannot mount a tmpfs here (needs root)' }, async (t) => {
  const out = join(mnt, 'out');
  mkdirSync(out);
  const inv = noLink(out);
  const before = objects(out);
  const rlink = readFileSync(join(out, 'pm.rlink'));
  const fs = statfsSync(mnt);
  t.equal(spawnSync('fallocate', ['-l', String(fs.bavail * fs.bsize), join(mnt, 'filler')]).status, 0, 'the disk is filled');
  t.throws(() => writeFileSync(join(mnt, 'probe'), 'x'), { code: 'ENOSPC' }, 'full: a byte does not fit');
  t.same(await ownMissObjects(join(out, 'pm.rlink'), inv, mnt, HOST), [], 'no own names');
  t.same(objects(out), before, 'each object at its plain name, none left renamed');
  t.ok(readFileSync(join(out, 'pm.rlink')).equals(rlink), 'the .rlink as rustc wrote it, naming them');
});

// A map file (or --trace) names the linker's inputs: under names of the call's own it changed
// with every build. Such a call's objects keep their plain names; others' are its own.
t.test('objects keep their plain names where a link arg has the linker name its inputs', async (t) => {
  const call = (...extra: string[]) => parseInvocation(['--crate-name', 'app', '--crate-type', 'bin', '--out-dir', '/t', ...extra, 'main.rs']);
  const own = (...extra: string[]) => linkDeletes('/t/app.app.1-cgu.0.rcgu.o', call(...extra), HOST);
  t.ok(own(), 'no link args: its own names');
  t.ok(own('-C', 'link-arg=-Wl,--gc-sections'), 'a link arg that names no input: its own names');
  t.ok(own('-C', 'link-arg=-Wl,--Map-not'), 'an option that only starts so: its own names');
  t.ok(own('-Z', 'pre-link-arg=-Wl,--gc-sections'), 'a pre-link arg that names no input: its own names');
  t.ok(own('-l', 'static=Map', '-lMap', '-l', 'link-arg=--gc-sections'), 'libraries, and an -l link-arg that names no input: its own names');
  for (const extra of [
    ['-C', 'link-arg=-Wl,-Map=app.map'],
    ['-Clink-arg=-Wl,-Map,app.map'],
    ['--codegen', 'link-args=-Wl,--gc-sections -Wl,--trace'],
    ['--codegen=link_arg=-Wl,-t'],
    ['-C', 'link-arg=-Wl,--cref', '-C', 'link-arg=-Wl,--gc-sections'],
    ['-C', 'link-arg=-Wl,--dependency-file=link.d'],
    ['-C', 'link-arg=-Wl,--reproduce,repro.tar'],
    ['-Z', 'pre-link-arg=-Wl,-Map=app.map'],
    ['-Zpre-link-args=-Wl,--dependency-file=link.d'],
    ['-Zpre_link_arg=-Wl,-Map=app.map'],
    ['-Zunstable-options', '-l', 'link-arg=--dependency-file=link.d'],
    ['-Zunstable-options', '-llink-arg:+verbatim=-Map=app.map'],
  ]) t.notOk(own(...extra), `${extra.join(' ')}: plain names`);
});
