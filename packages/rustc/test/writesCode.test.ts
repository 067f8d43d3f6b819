import t from 'tap';
import { parseInvocation, writesCode } from '../src/index.js';

const writes = (...args: string[]) => writesCode(parseInvocation(['src/lib.rs', '--out-dir', 'o', ...args]));

t.test('a call writes code where an --emit kind is anything but metadata, dep-info or mir', async (t) => {
  t.ok(writes('--emit=dep-info,metadata,link'), 'a build (cargo\'s pipelined lib)');
  t.ok(writes('--emit=link'), 'a link');
  t.ok(writes('--emit', 'obj'), 'objects');
  t.ok(writes('--emit=dep-info', '--emit=asm'), 'asm, in a second --emit');
  t.notOk(writes('--emit=dep-info,metadata'), 'a check');
  t.notOk(writes('--emit=metadata=out.rmeta'), 'metadata to a named file');
  t.notOk(writes('--emit=mir'), 'mir');
});
