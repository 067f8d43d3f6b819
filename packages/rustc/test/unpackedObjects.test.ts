import t from 'tap';
import { namesSplitDwarf, parseInvocation, unpackedKeepsObjects } from '../src/index.js';

const host = 'x86_64-unknown-linux-gnu';
const keeps = (...args: string[]) => unpackedKeepsObjects(parseInvocation(['src/lib.rs', '--out-dir', 'o', ...args]), host);

t.test('objects are kept beside the outputs only where unpacked DWARF stays in them', async (t) => {
  t.notOk(keeps('-C', 'split-debuginfo=unpacked', '-C', 'debuginfo=2'), 'the default split kind writes .dwo files instead');
  t.ok(keeps('-C', 'split-debuginfo=unpacked', '-C', 'debuginfo=2', '-Z', 'split-dwarf-kind=single'), '-Zsplit-dwarf-kind=single keeps them');
  t.ok(keeps('-C', 'split-debuginfo=unpacked', '-g', '-Zsplit-dwarf-kind=split', '-Zsplit-dwarf-kind=single'), 'the last kind given wins; -g is debug info');
  t.notOk(keeps('-C', 'split-debuginfo=unpacked', '-C', 'debuginfo=0', '-Zsplit-dwarf-kind=single'), 'no debug info, nothing to keep');
  t.notOk(keeps('-C', 'split-debuginfo=packed', '-C', 'debuginfo=2', '-Zsplit-dwarf-kind=single'), 'packed: the .dwp holds it');
  t.ok(keeps('-C', 'split-debuginfo=unpacked', '-C', 'debuginfo=line-tables-only', '--target', 'aarch64-apple-darwin'), 'an Apple target always keeps them');
  t.ok(unpackedKeepsObjects(parseInvocation(['a.rs', '-Csplit-debuginfo=unpacked', '-Cdebuginfo=1']), 'aarch64-apple-darwin'), 'as does an Apple host with no --target');
});

t.test('outputs name split DWARF only where the call writes code', async (t) => {
  const names = (...args: string[]) => namesSplitDwarf(parseInvocation(['src/lib.rs', '--out-dir', 'o', '-C', 'split-debuginfo=unpacked', ...args]));
  t.ok(names('-C', 'debuginfo=2', '--emit=dep-info,metadata,link'), 'a build (cargo\'s pipelined lib) does');
  t.ok(names('-g', '--emit=obj'), 'so does an object');
  t.notOk(names('-C', 'debuginfo=2', '--emit=dep-info,metadata'), 'a check writes no code: no .dwo is named');
  t.notOk(names('-C', 'debuginfo=0', '--emit=link'), 'no debug info, no .dwo');
  t.notOk(namesSplitDwarf(parseInvocation(['src/lib.rs', '-C', 'split-debuginfo=packed', '-g', '--emit=link'])), 'packed: the binary\'s .dwp beside it holds it');
});
