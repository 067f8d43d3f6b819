import t from 'tap';
import { otherModuleFile } from '../src/moduleFiles.js';

t.test('the other place of a module file is its mod.rs, and the reverse', async (t) => {
  t.equal(otherModuleFile('/w/src/foo.rs'), '/w/src/foo/mod.rs', 'foo.rs: foo/mod.rs');
  t.equal(otherModuleFile('/w/src/foo/mod.rs'), '/w/src/foo.rs', 'foo/mod.rs: foo.rs');
  t.equal(otherModuleFile('src/a/b.rs'), 'src/a/b/mod.rs', 'a relative path, as dep-info may name it');
  t.equal(otherModuleFile('src/a/mod.rs'), 'src/a.rs');
  t.equal(otherModuleFile('/w/src/lib.rs'), '/w/src/lib/mod.rs', 'a crate root gets one too (nothing in dep-info says what it is)');
  t.equal(otherModuleFile('mod.rs'), undefined, 'a mod.rs of no directory: none');
  t.equal(otherModuleFile('/mod.rs'), undefined, 'nor at the root');
  t.equal(otherModuleFile('/w/gen.inc'), undefined, 'not a .rs file: none');
  t.equal(otherModuleFile('/w/src/.rs'), undefined, 'a file named only .rs: none');
});
