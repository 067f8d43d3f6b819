import t from 'tap';
import { innerAttributes } from '../src/crateTypeAttr.js';

// The inner attributes that open a crate's root source, read as rustc reads them: a regex over one
// line missed `#![` and `crate_type` on two lines (and a `]` in a comment inside), and took a doc
// comment or a string quoting an attribute for one (a review's repros).
t.test('inner attributes, across lines and comments, and nothing else', async (t) => {
  const has = (src: string) => innerAttributes(src).some((a) => /\bcrate_type\b/.test(a));
  t.ok(has('#![crate_type = "lib"]\npub fn f() {}'), 'on one line');
  t.ok(has('#![\n    crate_type = "lib"\n]\n'), 'over three');
  t.ok(has('#!\n[crate_type = "lib"]\n'), '`#!` and its brackets on two lines');
  t.ok(has('#![ /* ] */ crate_type = "lib"]'), 'a `]` in a comment inside');
  t.ok(has('#!/usr/bin/env run-cargo-script\n//! docs\n#![allow(dead_code)]\n/* a */ #![crate_type = "rlib"]'), 'after a shebang line, a doc comment and another attribute');
  t.ok(has('\uFEFF#![doc = "a ] b"]\n#![crate_type = "lib"]'), 'after a BOM, and a `]` in a string');
  // Literals the scan must step over whole: each stopped it before the attribute after (a review's repros).
  t.ok(has('#![doc = concat!(\']\', "x")]\n#![crate_type = "lib"]'), "after a char literal `']'`");
  t.ok(has('#![doc = concat!(\'"\', "x")]\n#![crate_type = "lib"]'), "after `'\"'`");
  t.ok(has('#![doc = concat!(b\'"\', "x")]\n#![crate_type = "lib"]'), 'after a byte literal');
  t.ok(has('#![doc = r"C:\\dir\\"]\n#![crate_type = "lib"]'), 'after a raw string ending in a backslash');
  t.ok(has('#![doc = r#"a "]" b"#]\n#![crate_type = "lib"]'), 'after a raw string with hashes');
  t.ok(has("#![doc = concat!('\\'', '\\u{5d}')]\n#![crate_type = \"lib\"]"), 'after escaped chars');
  t.notOk(has('//! writes #![crate_type = "lib"] headers\nfn main() {}'), 'quoted in a doc comment: none');
  t.notOk(has('fn main() { let s = "#![crate_type = \\"lib\\"]"; }'), 'in a string: none');
  t.notOk(has('#![doc = "crate_type"]\nfn main() {}'), 'named in an attribute\'s string: none');
  t.notOk(has('fn main() {}\n#![crate_type = "lib"]'), 'after the first item: not an inner attribute of the crate');
  t.same(innerAttributes('#![allow(unused)] #![doc = "x"] fn main() {}'), ['allow(unused)', 'doc = ""']);
});
