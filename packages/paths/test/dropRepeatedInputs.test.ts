import t from 'tap';
import { addDepInfoInputs, dropRepeatedInputs, expandDepInfo, normaliseDepInfo, PrefixTable } from '../src/index.js';

// An input recorded as it is is added to the stored dep-info beside its placeholder form; replayed
// in the checkout it came from, both are one path, which rustc names once.
const OUT = '/w/a/target/debug/build/dd-5d/out';
const plain = [
  `/w/a/target/debug/deps/dd-4b.d: src/main.rs ${OUT}/gen.rs ${OUT}/data.bin`,
  '',
  `/w/a/target/debug/deps/dd-4b: src/main.rs ${OUT}/gen.rs ${OUT}/data.bin`,
  '',
  'src/main.rs:',
  `${OUT}/gen.rs:`,
  `${OUT}/data.bin:`,
  '',
  `# env-dep:OUT_DIR=${OUT}`,
  '',
].join('\n');

t.test('a path added where the rule already names it comes back to what rustc wrote', async (t) => {
  const added = addDepInfoInputs(plain, [`${OUT}/data.bin`]);
  t.not(added, plain, 'the addition names it twice (else this case shows nothing)');
  t.equal(dropRepeatedInputs(added, [`${OUT}/data.bin`]), plain);
});

t.test('a path added that the rule does not name yet stays, once', async (t) => {
  const other = '/w/b/target/debug/build/dd-5d/out/data.bin';
  const added = addDepInfoInputs(plain, [other]);
  t.equal(dropRepeatedInputs(added, [other, `${OUT}/data.bin`]), added);
});

t.test('a path with a space is matched as rustc escapes it; a path not asked about is left even when repeated', async (t) => {
  const text = 'o.d: a\\ b.txt c.rs c.rs a\\ b.txt\n\na\\ b.txt:\nc.rs:\nc.rs:\n\na\\ b.txt:\n\n# env-dep:X=1\n';
  t.equal(dropRepeatedInputs(text, ['a b.txt']), 'o.d: a\\ b.txt c.rs c.rs\n\na\\ b.txt:\nc.rs:\nc.rs:\n\n# env-dep:X=1\n');
  t.equal(dropRepeatedInputs(text, []), text, 'nothing asked, nothing changed');
});

t.test('stored and replayed in the checkout it came from, each layout rustc writes comes back byte for byte', async (t) => {
  // What ingest stores (normalised, the path added as it is) and a hit there writes (expanded, the repeat dropped).
  const table = new PrefixTable([{ name: 'ws', path: '/w/a' }]);
  const rules = 'o.d: m.rs /w/a/x.bin\n\no: m.rs /w/a/x.bin\n\nm.rs:\n/w/a/x.bin:\n';
  const sums = '# checksum:blake3=aa file_len:1 m.rs\n# checksum:blake3=bb file_len:5 /w/a/x.bin\n';
  const layouts: [string, string][] = [
    ['nightly checksums, no env-dep (no blank line before them)', rules + sums],
    ['an env-dep and checksums', `${rules}\n# env-dep:X=1\n${sums}`],
    ['no comment at all', rules],
  ];
  for (const [what, plainText] of layouts) {
    const stored = addDepInfoInputs(normaliseDepInfo(plainText, table), ['/w/a/x.bin']);
    t.equal(dropRepeatedInputs(expandDepInfo(stored, table), ['/w/a/x.bin']), plainText, what);
  }
});
