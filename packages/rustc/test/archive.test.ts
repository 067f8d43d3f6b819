import t from 'tap';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSplitcacheError } from '@splitcache/errors';
import { archiveMembers, isThinArchive } from '../src/index.js';

const members = (buf: Buffer) => archiveMembers((pos, len) => buf.subarray(pos, pos + len), buf.length);

/** One 60-byte ar header and its (padded) data. */
function member(name: string, data: Buffer): Buffer {
  const header = Buffer.from(`${name.padEnd(16)}${'0'.padEnd(12)}${'0'.padEnd(6)}${'0'.padEnd(6)}${'644'.padEnd(8)}${String(data.length).padEnd(10)}\`\n`, 'latin1');
  return Buffer.concat([header, data, data.length % 2 ? Buffer.from('\n') : Buffer.alloc(0)]);
}
const archive = (...parts: Buffer[]) => Buffer.concat([Buffer.from('!<arch>\n'), ...parts]);

t.test('GNU archives: short names, long names through the // table, symbol tables skipped', async (t) => {
  const long = 'fx_util-b27aea40ac8cc46a.fx_util.4717dc0c2889b502-cgu.0.rcgu.dwo';
  const table = Buffer.from(`${long}/\nsecond-long-name-over-sixteen.o/\n`);
  const a = archive(member('/', Buffer.alloc(8)), member('/SYM64/', Buffer.alloc(16)), member('//', table), member('lib.rmeta/', Buffer.from('abc')), member('/0', Buffer.from('x')), member(`/${long.length + 2}`, Buffer.from('yz')));
  t.same(members(a), ['lib.rmeta', long, 'second-long-name-over-sixteen.o']);
});

t.test('BSD archives: #1/N names at the start of the data; plain space-padded names', async (t) => {
  const a = archive(member('__.SYMDEF SORTED', Buffer.alloc(4)), member('#1/24', Buffer.from('a-name-longer-than-16.o\0body')), member('short.o', Buffer.from('b')));
  t.same(members(a), ['a-name-longer-than-16.o', 'short.o']);
});

t.test('an rlib rustc made: the same members as ar t lists', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-archive-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'l.rs'), 'pub fn f(x: u32) -> u32 { x * 2 }\n');
  execFileSync('rustc', ['--crate-name', 'l', '--crate-type', 'lib', '-C', 'debuginfo=2', '-C', 'split-debuginfo=unpacked', '-C', 'extra-filename=-aa', '--out-dir', dir, join(dir, 'l.rs')]);
  const rlib = join(dir, 'libl-aa.rlib');
  const listed = execFileSync('ar', ['t', rlib], { encoding: 'utf8' }).split('\n').filter(Boolean);
  t.same(members(readFileSync(rlib)), listed);
  t.ok(listed.some((m) => m.endsWith('.rcgu.dwo')), 'a .dwo among them');
});

t.test("a thin archive ar made (ar T): its members' paths, and it is told apart", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-thin-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'a.c'), 'int a(void) { return 1; }\n');
  writeFileSync(join(dir, 'a-member-named-past-sixteen.c'), 'int b(void) { return 2; }\n');
  execFileSync('cc', ['-c', 'a.c', 'a-member-named-past-sixteen.c'], { cwd: dir });
  execFileSync('ar', ['crsT', 'libt.a', 'a.o', 'a-member-named-past-sixteen.o'], { cwd: dir });
  const thin = readFileSync(join(dir, 'libt.a'));
  t.ok(isThinArchive((pos, len) => thin.subarray(pos, pos + len)), 'thin');
  // Stored relative to the archive's dir; `ar t` shows them resolved.
  t.same(members(thin).map((m) => join(dir, m)), execFileSync('ar', ['t', join(dir, 'libt.a')], { encoding: 'utf8' }).split('\n').filter(Boolean), 'the members ar t lists');
  execFileSync('ar', ['crs', 'libf.a', 'a.o'], { cwd: dir });
  const full = readFileSync(join(dir, 'libf.a'));
  t.notOk(isThinArchive((pos, len) => full.subarray(pos, pos + len)), 'a full archive is not');
});

t.test('anything else is refused with SPLITCACHE_ARCHIVE_MALFORMED', async (t) => {
  const code = (buf: Buffer) => {
    try {
      members(buf);
      return 'ok';
    } catch (e) {
      return isSplitcacheError(e) ? e.code : `foreign: ${String(e)}`;
    }
  };
  t.equal(code(Buffer.from('not an archive')), 'SPLITCACHE_ARCHIVE_MALFORMED', 'no magic');
  const good = archive(member('a.o/', Buffer.from('data')));
  t.equal(code(good.subarray(0, good.length - 3)), 'SPLITCACHE_ARCHIVE_MALFORMED', 'a member cut short');
  t.equal(code(good.subarray(0, 30)), 'SPLITCACHE_ARCHIVE_MALFORMED', 'a header cut short');
  t.equal(code(archive(member('/5', Buffer.from('x')))), 'SPLITCACHE_ARCHIVE_MALFORMED', 'a long name without a table');
  const badSize = Buffer.from(good);
  badSize.write('12x4      ', 8 + 48, 'latin1');
  t.equal(code(badSize), 'SPLITCACHE_ARCHIVE_MALFORMED', 'a size that is not a number');
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, withMagic) => {
      const c = code(withMagic ? Buffer.concat([Buffer.from('!<arch>\n'), bytes]) : Buffer.from(bytes));
      return c === 'ok' || c === 'SPLITCACHE_ARCHIVE_MALFORMED';
    }),
    { numRuns: 10_000 },
  );
});
