import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseInvocation } from '@splitcache/rustc';
import { namesOwnCrateType } from '../src/crateTypeAttr.js';

// A call with no --crate-type whose crate may name its own type runs plainly: split as a bin (rustc's
// default for such a call), a lib's rlib had another crate hash than a plain build's. Read as any
// `crate_type` in the root source: readings of the attribute itself missed it over two lines,
// behind a `]` in a literal, and a scan of literals hung on a source cut short (reviews' repros).
t.test('a crate that may name its own type, with no --crate-type, runs plainly', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'crate-type-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const verdict = (source: string, extra: string[] = []) => {
    writeFileSync(join(dir, 'lib.rs'), source);
    return namesOwnCrateType(parseInvocation(['--crate-name', 'x', 'lib.rs', '--emit=dep-info,link', '--out-dir', dir, ...extra]), dir);
  };
  for (const [what, source] of [
    ['on one line', '#![crate_type = "lib"]\npub fn f() {}\n'],
    ['over three', '#![\n    crate_type = "lib"\n]\n'],
    ['`#!` and its brackets on two lines', '#!\n[crate_type = "lib"]\n'],
    ["after a char literal `']'`", "#![doc = concat!(']', \"x\")]\n#![crate_type = \"lib\"]\n"],
    ['after a raw string ending in a backslash', '#![doc = r"C:\\dir\\"]\n#![crate_type = "lib"]\n'],
    ['behind an unterminated escape (the source a scan hung on)', "// it's a bin\n#![doc = '\\u]\n#![crate_type = \"lib\"]\n"],
  ]) {
    t.equal(verdict(source!), 'crate-type-attr', what!);
  }
  t.equal(verdict('pub fn f() {}\n', ['-Zcrate-attr=crate_type="lib"']), 'crate-type-attr', 'by -Zcrate-attr');
  t.equal(verdict('fn main() {}\n'), undefined, 'a bin that names none: cached');
  t.equal(verdict('#![crate_type = "lib"]\n', ['--crate-type', 'lib']), undefined, 'a call that gives --crate-type: cached');
});
