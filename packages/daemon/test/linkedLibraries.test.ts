import t from 'tap';
import { parseInvocation } from '@splitcache/rustc';
import { LinkedLibraries, linkedLibrary } from '../src/linkedLibraries.js';

const call = (...args: string[]) => parseInvocation(['--crate-name', 'fx_derive', 'derive/src/lib.rs', '-C', 'extra-filename=-42a2', ...args]);

t.test('the library a link step writes: proc-macros and dylibs only', async (t) => {
  t.equal(linkedLibrary(call('--crate-type', 'proc-macro', '--out-dir', 'target/debug/deps'), '/ws'), '/ws/target/debug/deps/libfx_derive-42a2.so', 'a proc-macro, cargo style');
  t.equal(linkedLibrary(call('--crate-type', 'dylib', '--crate-type', 'rlib', '--out-dir', '/abs/deps'), '/ws'), '/abs/deps/libfx_derive-42a2.so', 'a dylib beside an rlib');
  t.equal(linkedLibrary(call('--crate-type', 'proc-macro', '-o', 'out/m.so'), '/ws'), '/ws/out/m.so', '-o names it');
  t.equal(linkedLibrary(call('--crate-type', 'bin', '--out-dir', 'target/debug/deps'), '/ws'), undefined, 'a bin is no --extern of anything');
  t.equal(linkedLibrary(call('--crate-type', 'cdylib', '--out-dir', 'target/debug/deps'), '/ws'), undefined, 'nor is a cdylib');
  t.equal(linkedLibrary(call('--crate-type', 'proc-macro'), '/ws'), undefined, 'no out-dir, no -o: not guessed');
});

t.test('a token\'s library is taken once', async (t) => {
  const libs = new LinkedLibraries();
  libs.note('1', call('--crate-type', 'proc-macro', '--out-dir', 'd'), '/ws');
  libs.note('2', call('--crate-type', 'bin', '--out-dir', 'd'), '/ws');
  t.equal(libs.take('1'), '/ws/d/libfx_derive-42a2.so');
  t.equal(libs.take('1'), undefined, 'forgotten once taken');
  t.equal(libs.take('2'), undefined, 'a bin was never noted');
});
