import t from 'tap';
import { parseInvocation } from '@splitcache/rustc';
import { prefixTableFor } from '../src/prefixes.js';
import { packedDwarfPlace } from '../src/profileDirs.js';

/** packedDwarfPlace of a lib's call as cargo makes it in `ws`, under `<ws>/target/<profile>`, with `extra` arguments. */
function place(ws: string, profile: string, ...extra: string[]) {
  const dir = `${ws}/target/${profile}/deps`;
  const inv = parseInvocation(['--crate-name', 'pl', '--edition=2021', 'pl/src/lib.rs', '--crate-type', 'lib', '--out-dir', dir, '-L', `dependency=${dir}`, ...extra]);
  return packedDwarfPlace(inv, ws, prefixTableFor(inv, ws, { TMPDIR: '/tmp' }, '/opt/rust', []));
}

const packed = ['--emit=dep-info,metadata,link', '-C', 'debuginfo=2', '-C', 'split-debuginfo=packed'];

t.test("a packed split-debuginfo call's key holds its profile dir's place: its objects name their .dwo there", async (t) => {
  t.equal(place('/ws', 'pk', ...packed), 'pk', 'the profile dir it writes under');
  t.not(place('/ws', 'pk2', ...packed), place('/ws', 'pk', ...packed), 'another profile of one checkout: another key');
  t.equal(place('/ci/job-7/ws', 'pk', ...packed), place('/ws', 'pk', ...packed), 'the same profile in another checkout: the same');
  t.equal(place('/ws', 'pk', '--emit=dep-info,metadata', '-C', 'debuginfo=2', '-C', 'split-debuginfo=packed'), undefined, 'a check writes no code: nothing named');
  t.equal(place('/ws', 'pk', '--emit=dep-info,metadata,link', '-C', 'debuginfo=0', '-C', 'split-debuginfo=packed'), undefined, 'no debug info: no .dwo');
  t.equal(place('/ws', 'pk', '--emit=dep-info,metadata,link', '-C', 'debuginfo=2', '-C', 'split-debuginfo=unpacked'), undefined, 'unpacked: its out-dir is keyed whole (manifestKey.ts, item 17)');
  t.equal(place('/ws', 'pk', '--emit=dep-info,metadata,link', '-C', 'debuginfo=2'), undefined, 'no split DWARF');
});
