import t from 'tap';
import fc from 'fast-check';
import { PrefixTable } from '../src/index.js';

const table = new PrefixTable([
  { name: 'workspace', path: '/home/u/ws' },
  { name: 'target', path: '/home/u/ws/target/' },
  { name: 'cargo_home', path: '/home/u/.cargo' },
  { name: 'sysroot', path: '/opt/rust' },
]);

t.test('construction: ignored entries, trailing slashes, longest first', async (t) => {
  const tb = new PrefixTable([
    { name: 'empty', path: '' },
    { name: 'relative', path: 'ws/x' },
    { name: 'root', path: '/' },
    { name: 'rootish', path: '///' },
    { name: 'a', path: '/a' },
    { name: 'ab', path: '/a/b//' },
  ]);
  t.same(tb.entries, [{ name: 'ab', path: '/a/b' }, { name: 'a', path: '/a' }]);
  t.throws(() => new PrefixTable([{ name: 'has space', path: '/x' }]), TypeError);
  t.throws(() => new PrefixTable([{ name: 'a@b', path: '/x' }]), TypeError);
  t.throws(() => new PrefixTable([{ name: 'x', path: '/x' }, { name: 'x', path: '/y' }]), TypeError);
  const twice = new PrefixTable([{ name: 'first', path: '/x' }, { name: 'second', path: '/x' }]);
  t.equal(twice.normalise('/x/1'), '@@sc:first@@/1', 'the first name given wins');
  t.equal(twice.expand('@@sc:second@@/1'), '/x/1', 'both names expand');
});

t.test('normalise and expand work on a leading prefix at a path boundary', async (t) => {
  t.equal(table.normalise('/home/u/ws'), '@@sc:workspace@@');
  t.equal(table.normalise('/home/u/ws/src/main.rs'), '@@sc:workspace@@/src/main.rs');
  t.equal(table.normalise('/home/u/ws/target/debug/deps/x.rlib'), '@@sc:target@@/debug/deps/x.rlib', 'longest wins');
  t.equal(table.normalise('/home/u/wsx/a'), '/home/u/wsx/a', 'not at a boundary');
  t.equal(table.normalise('/x/home/u/ws'), '/x/home/u/ws', 'only at the start');
  t.equal(table.normalise('relative/path'), 'relative/path');
  t.equal(table.expand('@@sc:target@@/debug/x'), '/home/u/ws/target/debug/x');
  t.equal(table.expand('@@sc:unknown@@/x'), '@@sc:unknown@@/x', 'unknown names stay');
  t.equal(table.expand('/plain'), '/plain');
  // An opener that is no placeholder, right before one that is: the second still expands.
  t.equal(table.expandText('@@sc:@@sc:sysroot@@/x'), '@@sc:/opt/rust/x');
  t.equal(table.expandBytes(Buffer.from('@@sc:@@sc:sysroot@@/x')).toString(), '@@sc:/opt/rust/x', 'and as bytes');
});

t.test('normaliseText replaces at boundaries in dep-info, JSON and rendered text', async (t) => {
  const cases: [string, string][] = [
    ['/home/u/ws/target/debug/x.d: /home/u/ws/src/main.rs /home/u/.cargo/registry/a.rs\n\n/home/u/ws/src/main.rs:\n',
      '@@sc:target@@/debug/x.d: @@sc:workspace@@/src/main.rs @@sc:cargo_home@@/registry/a.rs\n\n@@sc:workspace@@/src/main.rs:\n'],
    ['{"file_name":"/home/u/ws/src/lib.rs","x":"/opt/rust"}', '{"file_name":"@@sc:workspace@@/src/lib.rs","x":"@@sc:sysroot@@"}'],
    ['\u001b[0m/home/u/ws/src/main.rs:1:17', '\u001b[0m@@sc:workspace@@/src/main.rs:1:17'],
    ['"\\u001b[1m\\u001b[94m--> \\u001b[0m/home/u/ws/a.rs:1:1\\n"', '"\\u001b[1m\\u001b[94m--> \\u001b[0m@@sc:workspace@@/a.rs:1:1\\n"'],
    ['"a\\n/home/u/ws/a.rs"', '"a\\n@@sc:workspace@@/a.rs"'],
    ['(/opt/rust) [/opt/rust] `/opt/rust`, \'/opt/rust\'; /opt/rust\\x', '(@@sc:sysroot@@) [@@sc:sysroot@@] `@@sc:sysroot@@`, \'@@sc:sysroot@@\'; @@sc:sysroot@@\\x'],
    ['--out-dir=/opt/rust/lib', '--out-dir=@@sc:sysroot@@/lib'],
    // The whole prefix, then a ':' (rustc's `error: couldn't read /ws: …`) or a colour reset.
    ['error: /opt/rust: Is a directory', 'error: @@sc:sysroot@@: Is a directory'],
    ['\u001b[1m/opt/rust\u001b[0m', '\u001b[1m@@sc:sysroot@@\u001b[0m'],
  ];
  for (const [input, expected] of cases) {
    t.equal(table.normaliseText(input), expected, JSON.stringify(input));
    t.equal(table.expandText(expected), input, 'and back');
  }
  const untouched = [
    '/x/home/u/ws/a', // inside a longer path
    'abc/home/u/ws', // after a name character
    '/home/u/wsx', // longer name
    '/home/u/ws.bak/a', // '.' is not a boundary after
    'josé/opt/rust', // after a non-ASCII letter
    '"a\\\\n/home/u/ws"', // an escaped backslash then a plain n
    'm/opt/rust', // a letter that does not end an ANSI sequence
    '\u001b[0mcrates/home/u/ws/a.rs', // a relative path after a colour reset (cargo's members: a checkout at /app, a member crates/app)
    '/x//home/u/ws/a', // after a doubled slash, inside a longer path
    './home/u/ws/a', // a relative path
    '../opt/rust/lib',
  ];
  for (const input of untouched) t.equal(table.normaliseText(input), input, JSON.stringify(input));
});

t.test('toJSON and fromJSON round-trip; bad JSON is a TypeError', async (t) => {
  const again = PrefixTable.fromJSON(JSON.parse(JSON.stringify(table)));
  t.same(again.toJSON(), table.toJSON());
  t.throws(() => PrefixTable.fromJSON({ name: 'x' }), TypeError);
  t.throws(() => PrefixTable.fromJSON([{ name: 1, path: '/x' }]), TypeError);
  t.throws(() => PrefixTable.fromJSON([null]), TypeError);
});

// Absolute paths whose segments mix name characters and delimiters, so prefixes nest and touch.
// Built from constantFrom: fc.stringMatching is several times slower to generate.
const segment = fc.array(fc.constantFrom(...'ab0._ :-'), { minLength: 1, maxLength: 6 }).map((cs) => cs.join(''));
const absPath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => '/' + parts.join('/'));
const tableArb = fc.uniqueArray(absPath, { minLength: 1, maxLength: 5 }).map(
  (paths) => new PrefixTable(paths.map((path, i) => ({ name: `base${i}`, path }))),
);

function pieces(tb: PrefixTable): fc.Arbitrary<string> {
  const prefixes = tb.entries.map((e) => e.path);
  return fc.oneof(
    fc.constantFrom(...prefixes),
    fc.constantFrom(...prefixes).chain((p) => segment.map((s) => `${p}/${s}`)),
    fc.constantFrom('/', '"', "'", '`', ':', ')', ']', ',', ';', ' ', '\n', '\\', '\\n', '\\\\n', '\x1b[0m', '\\u001b[0m', '@', '@@', '@@sc', 'é', 'x'),
    fc.string({ maxLength: 8 }),
    fc.string({ unit: 'binary', maxLength: 4 }),
  );
}

t.test('property: expand(normalise(x)) === x', async (t) => {
  fc.assert(
    fc.property(
      tableArb.chain((tb) => fc.tuple(fc.constant(tb), fc.array(pieces(tb), { maxLength: 4 }).map((a) => a.join('')))),
      ([tb, x]) => {
        fc.pre(!x.startsWith('@@sc:'));
        const n = tb.normalise(x);
        return tb.expand(n) === x && (n === x || n.startsWith('@@sc:'));
      },
    ),
    { numRuns: 10_000 },
  );
  t.pass('10,000 runs');
});

t.test('property: expandText(normaliseText(x)) === x for text without @@sc:', async (t) => {
  fc.assert(
    fc.property(
      tableArb.chain((tb) => fc.tuple(fc.constant(tb), fc.array(pieces(tb), { maxLength: 12 }).map((a) => a.join('')))),
      ([tb, x]) => {
        fc.pre(!x.includes('@@sc:'));
        return tb.expandText(tb.normaliseText(x)) === x;
      },
    ),
    { numRuns: 10_000 },
  );
  t.pass('10,000 runs');
});

t.test('property: the byte forms agree with the text ones, and give back bytes they leave alone uncopied', async (t) => {
  fc.assert(
    fc.property(
      tableArb.chain((tb) => fc.tuple(fc.constant(tb), fc.array(fc.oneof(pieces(tb), fc.constantFrom('@@sc:base0@@', '@@sc:base1@@/x', '@@sc:nope@@', '@@sc:@@', '@@sc:base0')), { maxLength: 12 }).map((a) => a.join('')))),
      ([tb, x]) => {
        const bytes = Buffer.from(x);
        const expanded = tb.expandBytes(bytes);
        const normalised = tb.normaliseBytes(bytes);
        return expanded.equals(Buffer.from(tb.expandText(x))) && normalised.equals(Buffer.from(tb.normaliseText(x)))
          && (tb.expandText(x) !== x || expanded.buffer === bytes.buffer) && (tb.normaliseText(x) !== x || normalised.buffer === bytes.buffer);
      },
    ),
    { numRuns: 10_000 },
  );
  t.pass('10,000 runs');
});

t.test('property: a prefix followed by a path tail is always normalised in text', async (t) => {
  fc.assert(
    fc.property(
      tableArb.chain((tb) => fc.tuple(fc.constant(tb), fc.constantFrom(...tb.entries), fc.constantFrom(' ', '"', '(', '\n', ''))),
      ([tb, entry, before]) => {
        const text = `${before}${entry.path}/tail.rs`;
        const out = tb.normaliseText(text);
        return out.startsWith(before + '@@sc:') && !out.includes(entry.path + '/tail.rs');
      },
    ),
    { numRuns: 2_000 },
  );
  t.pass('2,000 runs');
});
