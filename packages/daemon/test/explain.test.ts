import t from 'tap';
import { readablePaths } from '../src/explain.js';

t.test('explain shows normalised paths the way a user names them', async (t) => {
  t.equal(readablePaths('file:@@sc:cwd@@/src/a.rs'), 'file:src/a.rs', 'the workspace root drops out');
  t.equal(readablePaths('@@sc:cwd@@'), '.', 'the root itself is .');
  t.equal(readablePaths('--out-dir @@sc:target@@/debug/deps'), '--out-dir <target>/debug/deps', 'another prefix reads as its name');
  t.equal(readablePaths('-C profile-use=@@sc:cwd@@/pgo/m.profdata -L @@sc:sysroot@@/lib'), '-C profile-use=pgo/m.profdata -L <sysroot>/lib', 'every placeholder in a text');
  t.equal(readablePaths('src/lib.rs'), 'src/lib.rs', 'a path without one is left alone');
});
