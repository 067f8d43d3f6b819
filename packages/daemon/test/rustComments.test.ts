import t from 'tap';
import { withoutComments } from '../src/rustComments.js';

t.test('comments go, code and literals stay', async (t) => {
  t.equal(withoutComments('a // b\nc'), 'a \nc', 'a line comment');
  t.equal(withoutComments('a /* b /* nested */ still */ c'), 'a   c', 'a nested block comment');
  t.equal(withoutComments('/**\n```\n#[macro_use] extern crate typenum;\n```\n */\nfn f() {}'), ' \nfn f() {}', "typenum's doc example");
  t.equal(withoutComments('//! # #[macro_use] extern crate t;\nx'), '\nx', 'an inner doc comment');
  t.equal(withoutComments('let u = "http://x/*"; y'), 'let u = "http://x/*"; y', 'comment marks in a string');
  t.equal(withoutComments('let r = r#"a "// b"#; y // z'), 'let r = r#"a "// b"#; y ', 'in a raw string');
  t.equal(withoutComments('let r = br"\\"; y // z'), 'let r = br"\\"; y ', 'a raw byte string ends at its quote, a backslash before it');
  t.equal(withoutComments('let s = "a\\"// b"; y'), 'let s = "a\\"// b"; y', 'an escaped quote');
  t.equal(withoutComments("let c = '\"'; // z"), "let c = '\"'; ", 'a quote as a char literal');
  t.equal(withoutComments("fn f<'a>(x: &'a str) {} // z"), "fn f<'a>(x: &'a str) {} ", 'lifetimes');
  t.equal(withoutComments('use dep::include;'), 'use dep::include;', 'no comment: the same text');
});
