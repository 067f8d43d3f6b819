import t from 'tap';
import fc from 'fast-check';
import { PathSearch } from '../src/pathSearch.js';

// PathSearch finds the paths a text holds by their shared prefixes; it must answer what one
// search per path answers (the rule it replaced in checkoutInSource).

function heldOneByOne(bytes: Buffer, paths: readonly string[]): string[] {
  return paths.filter((path) => {
    const needle = Buffer.from(path);
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
      const next = bytes[at + needle.length];
      if (next === undefined || next === 0x2f || !/[A-Za-z0-9._~+-]/.test(String.fromCharCode(next))) return true;
    }
    return false;
  });
}

t.test('what a path is held by', async (t) => {
  const s = new PathSearch(['/ci/a/data.txt', '/ci/a/src/lib.rs', '/ci/a/é dir/x'], ['/ci/a']);
  t.same(s.held(Buffer.from('include_str!("/ci/a/data.txt")')), ['/ci/a/data.txt']);
  t.same(s.held(Buffer.from('/ci/a/data.txt')), ['/ci/a/data.txt'], 'at the very end');
  t.same(s.held(Buffer.from('/ci/a/data.txt/x')), ['/ci/a/data.txt'], 'a / goes on');
  t.same(s.held(Buffer.from('/ci/a/data.txt2 /ci/a/data.txt.bak /ci/a/data.txt-')), [], 'a longer name is another path');
  t.same(s.held(Buffer.from('x/ci/a/src/lib.rs\0')), ['/ci/a/src/lib.rs'], 'anywhere, before a NUL');
  t.same(s.held(Buffer.from('"/ci/a/é dir/x"')), ['/ci/a/é dir/x'], 'UTF-8 names');
  t.same(s.held(Buffer.from('/ci/a/data.txt /ci/a/src/lib.rs'), new Set(['/ci/a/data.txt'])), ['/ci/a/src/lib.rs'], 'skipped');
  t.same(new PathSearch([], ['/ci']).held(Buffer.from('/ci/a')), []);
});

t.test('agrees with one search per path', async (t) => {
  const segment = fc.constantFrom('a', 'b', 'src', 'lib.rs', 'x-1', 'é', 'd ir', 'a.b');
  const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`);
  const filler = fc.constantFrom('"', ' ', '/', 'x', '.', '\n', '-', 'é', '2', '\0');
  fc.assert(
    fc.property(
      fc.uniqueArray(path, { minLength: 1, maxLength: 8 }),
      fc.array(fc.oneof(path, filler), { maxLength: 20 }),
      fc.array(path, { maxLength: 3 }),
      (paths, parts, prefixes) => {
        const bytes = Buffer.from(parts.join(''));
        const got = new PathSearch(paths, prefixes).held(bytes).sort();
        return t.strictSame(got, heldOneByOne(bytes, paths).sort());
      },
    ),
    { numRuns: 3000 },
  );
});
