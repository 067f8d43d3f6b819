import t from 'tap';
import { listRlinkPaths, readRlinkHeader, rewriteRlink, rustcVersionForRlink } from '../src/index.js';
import { pathString, synthRlink } from './synthRlink.js';
import { codeOf } from './codeOf.js';

const V = '1.95.0 (59807616e 2026-04-14)';

t.test('a well-formed header parses, with the body between header and footer', async (t) => {
  const body = [0x00, 0x01, ...pathString('/a/b.o'), 0x00];
  const buf = synthRlink(body);
  const h = readRlinkHeader(buf);
  t.same(h, { version: 1, rustcVersion: V, bodyStart: 8 + 4 + 1 + V.length + 1, bodyEnd: buf.length - 13 });
  t.same(listRlinkPaths(buf), ['/a/b.o']);
});

t.test('each kind of damage gets its own code', async (t) => {
  const good = synthRlink([...pathString('/a')]);
  t.equal(codeOf(() => readRlinkHeader(Buffer.from('rustlinq'))), 'SPLITCACHE_RLINK_MAGIC', 'wrong magic');
  t.equal(codeOf(() => readRlinkHeader(Buffer.alloc(0))), 'SPLITCACHE_RLINK_MAGIC', 'empty');
  t.equal(codeOf(() => readRlinkHeader(good.subarray(0, 10))), 'SPLITCACHE_RLINK_VERSION', 'cut in the version');
  t.equal(codeOf(() => readRlinkHeader(synthRlink([], { version: 2 }))), 'SPLITCACHE_RLINK_VERSION', 'version 2');
  t.equal(codeOf(() => readRlinkHeader(synthRlink([], { version: 0 }))), 'SPLITCACHE_RLINK_VERSION', 'version 0');
  t.equal(codeOf(() => readRlinkHeader(good.subarray(0, 12))), 'SPLITCACHE_RLINK_LEB128', 'no length');
  const longLength = Buffer.from(good);
  longLength[12] = 0x7f;
  t.equal(codeOf(() => readRlinkHeader(longLength)), 'SPLITCACHE_RLINK_LEB128', 'length past the end');
  const overlong = Buffer.concat([good.subarray(0, 12), Buffer.from([0x80 | V.length, 0x00]), good.subarray(13)]);
  t.equal(codeOf(() => readRlinkHeader(overlong)), 'SPLITCACHE_RLINK_LEB128', 'overlong length');
  const runaway = Buffer.concat([good.subarray(0, 12), Buffer.alloc(8, 0xff), good.subarray(13)]);
  t.equal(codeOf(() => readRlinkHeader(runaway)), 'SPLITCACHE_RLINK_LEB128', 'unterminated length');
  const noSentinel = Buffer.from(good);
  noSentinel[13 + V.length] = 0x00;
  t.equal(codeOf(() => readRlinkHeader(noSentinel)), 'SPLITCACHE_RLINK_SENTINEL', 'missing 0xC1');
  const badUtf8 = Buffer.from(good);
  badUtf8[13] = 0xff;
  t.equal(codeOf(() => readRlinkHeader(badUtf8)), 'SPLITCACHE_RLINK_SENTINEL', 'version string not UTF-8');
  t.equal(codeOf(() => readRlinkHeader(good.subarray(0, good.length - 1))), 'SPLITCACHE_RLINK_FOOTER', 'truncated');
  t.equal(codeOf(() => readRlinkHeader(good.subarray(0, 13 + V.length + 1))), 'SPLITCACHE_RLINK_FOOTER', 'header only');
  t.equal(codeOf(() => listRlinkPaths(Buffer.from('nope'))), 'SPLITCACHE_RLINK_MAGIC', 'listRlinkPaths checks too');
  t.equal(codeOf(() => rewriteRlink(good.subarray(0, good.length - 3), (s) => s)), 'SPLITCACHE_RLINK_FOOTER', 'rewriteRlink checks too');
});

t.test('expectRustcVersion must match the header exactly', async (t) => {
  const buf = synthRlink([...pathString('/a')]);
  t.same(rewriteRlink(buf, () => undefined, { expectRustcVersion: V }), buf);
  t.equal(codeOf(() => rewriteRlink(buf, () => undefined, { expectRustcVersion: '1.97.0-nightly (e50aa6fba 2026-05-19)' })), 'SPLITCACHE_RLINK_RUSTC_MISMATCH', 'other rustc');
  t.equal(codeOf(() => rewriteRlink(synthRlink([...pathString('/a')], { rustcVersion: `${V}-dev` }), () => undefined, { expectRustcVersion: V })), 'SPLITCACHE_RLINK_RUSTC_MISMATCH', 'one that only starts with it');
  t.equal(rustcVersionForRlink(`rustc ${V}\nbinary: rustc\n`), V, 'from rustc -vV');
  t.equal(rustcVersionForRlink(`rustc ${V}`), V, 'from rustc --version');
});

t.test('rewriting re-encodes lengths across the one-byte LEB128 boundary and back', async (t) => {
  const buf = synthRlink([0x01, ...pathString('/o/x.o'), 0x00, 0x01, ...pathString('/o'), 0x07]);
  const long = '/' + 'd'.repeat(200);
  const out = rewriteRlink(buf, (s) => s.replace(/^\/o/, long));
  t.same(listRlinkPaths(out), [`${long}/x.o`, long]);
  t.equal(out[readRlinkHeader(out).bodyStart + 1], 0x80 | (205 % 128), 'two-byte length, low bits first');
  t.equal(out[readRlinkHeader(out).bodyStart + 2], 1);
  const back = rewriteRlink(out, (s) => s.replace(long, '/o'));
  t.same(back, buf, 'byte-identical after the inverse rewrite');
});

t.test('the scan only takes path-like, well-formed strings', async (t) => {
  const body = [
    ...pathString('relative/x.o'), // not a path
    ...pathString('hello'), // a crate name
    0x01, ...pathString('@@sc:out_dir@@/x.o'), // a placeholder counts
    0x05, 0x2f, 0x61, 0x0a, 0x62, 0x63, 0xc1, // control character inside
    0x04, 0x2f, 0xc3, 0x28, 0x61, 0xc1, // ill-formed UTF-8
    0x82, 0x00, 0x2f, 0x61, 0xc1, // overlong LEB128 for 2
    0x00, ...pathString('/é/ü'),
  ];
  t.same(listRlinkPaths(synthRlink(body)), ['@@sc:out_dir@@/x.o', '/é/ü']);
});

t.test('a map that returns a non-path is a TypeError, and a throwing map propagates', async (t) => {
  const buf = synthRlink([0x01, ...pathString('/a/x.o')]);
  for (const bad of ['', 'a/x.o', '/a\nb', '/a\u007fb', '/a\ud800b']) {
    t.throws(() => rewriteRlink(buf, () => bad), TypeError, JSON.stringify(bad));
  }
  t.throws(() => rewriteRlink(buf, () => { throw new RangeError('mine'); }), RangeError);
});

t.test('a rewrite that would re-frame its neighbours is refused, not written', async (t) => {
  // 0x30 then a 47-byte path: byte 0x30 could frame "/" + path as a 48-byte string.
  const buf = synthRlink([0x30, ...pathString('/short')]);
  t.same(listRlinkPaths(buf), ['/short']);
  const path47 = '/' + 'p'.repeat(46);
  t.equal(codeOf(() => rewriteRlink(buf, () => path47)), 'SPLITCACHE_RLINK_LEB128', 'ambiguous output');
  t.same(listRlinkPaths(rewriteRlink(buf, () => path47 + 'x')), [path47 + 'x'], 'one byte longer is fine');
});
