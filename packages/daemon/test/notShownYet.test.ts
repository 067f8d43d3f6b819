import t from 'tap';
import { holdsJsonLines, notShownYet, outAfterShown } from '../src/notShownYet.js';

// The plain rustc run after a failed split link repeats the -Zno-link half's diagnostics: under
// --error-format=json the lines already shown are left out, in human text the whole diagnostics,
// and everything else is kept in order.

const warning = '{"$message_type":"diagnostic","message":"unused variable: `x`","level":"warning"}';
const report = '{"$message_type":"future_incompat","future_incompat_report":[]}';
const halfSummary = '{"$message_type":"diagnostic","message":"1 warning emitted","level":"warning"}';
const linkError = '{"$message_type":"diagnostic","message":"linking with `cc` failed: exit status: 1","level":"error"}';
const aborting = '{"$message_type":"diagnostic","message":"aborting due to 1 previous error; 1 warning emitted","level":"error"}';
const lines = (...l: string[]) => Buffer.from(l.map((x) => `${x}\n`).join(''));

t.test('JSON lines the half showed are left out of the plain run', async (t) => {
  const shown = lines(warning, report, halfSummary);
  const plain = lines(warning, linkError, report, aborting);
  t.equal(notShownYet(plain, shown).toString(), lines(linkError, aborting).toString(), 'only the link error and its summary remain');
  t.equal(notShownYet(lines(warning, halfSummary), shown).length, 0, 'a plain run that links adds nothing');
  t.equal(notShownYet(lines(warning, linkError), lines(halfSummary)).toString(), lines(warning, linkError).toString(), 'a warning the half did not show is kept');
  t.equal(notShownYet(Buffer.from(`${warning}\n${linkError}`), shown).toString(), linkError, 'a last line without its newline');
});

t.test('human text: the whole diagnostics the half showed are left out, once each, and the rest kept byte for byte', async (t) => {
  const unusedX = 'warning: unused variable: `x`\n --> a.rs:1:5\n  |\n1 |     let x = 2;\n  |         ^ help: prefix it with an underscore: `_x`\n\n';
  const unusedY = 'warning: unused variable: `y`\n --> a.rs:2:5\n  |\n\n';
  const summary = (n: number) => `warning: ${n} warning${n === 1 ? '' : 's'} emitted\n\n`;
  const link = 'error: linking with `cc` failed: exit status: 1\n  |\n  = note: rust-lld: error: unable to find library -lfoo\n\n';
  const aborting = 'error: aborting due to 1 previous error; 1 warning emitted\n\n';
  const text = (...parts: string[]) => Buffer.from(parts.join(''));
  t.equal(notShownYet(text(unusedX, summary(1)), text(unusedX, summary(1))).toString(), '', 'a plain run that links adds nothing (before: its warning and summary again)');
  t.equal(notShownYet(text(unusedX, link, aborting), text(unusedX, summary(1))).toString(), link + aborting, 'a link error and its summary are kept');
  t.equal(notShownYet(text(unusedX, unusedY, summary(2)), text(unusedX, summary(1))).toString(), unusedY + summary(2), 'a warning the half did not show, and a summary that differs, are kept');
  t.equal(notShownYet(text(unusedX, unusedX), text(unusedX)).toString(), unusedX, 'a block shown once is left out once');
  const preamble = 'a line of its own before any diagnostic\n';
  t.equal(notShownYet(text(preamble, unusedX), text(unusedX)).toString(), preamble, 'what comes before the first diagnostic is a block too');
  t.equal(notShownYet(text(unusedX, link.replace(/\n\n$/, '\n')), text(unusedX)).toString(), link.replace(/\n\n$/, '\n'), 'a last block without its blank line');
  const child = 'error[E0425]: cannot find value `nope` in this scope\n --> a.rs:3:18\n  |\nhelp: a local variable with a similar name exists\n  |\n\n';
  t.equal(notShownYet(text(child, link), text(child)).toString(), link, "`error[E0425]:` starts a block; a `help:` at column 0 stays in its diagnostic's");
  t.equal(notShownYet(text(unusedX.replace('`x`', '`x` '), summary(1)), text(unusedX, summary(1))).toString(), unusedX.replace('`x`', '`x` '), 'a block that differs by a byte is kept');
});

t.test('human text in colours: a block is the same only with the same colour codes', async (t) => {
  const esc = '\u001b[';
  const coloured = `${esc}1m${esc}33mwarning${esc}0m${esc}1m: unused variable: \`x\`${esc}0m\n  ${esc}1m${esc}94m|${esc}0m\n\n`;
  const codeColoured = `${esc}1m${esc}91merror[E0425]${esc}0m${esc}1m: cannot find value${esc}0m\n\n`;
  const plainText = 'warning: unused variable: `x`\n  |\n\n';
  const summary = `${esc}1m${esc}33mwarning${esc}0m${esc}1m: 1 warning emitted${esc}0m\n\n`;
  t.equal(notShownYet(Buffer.from(coloured + codeColoured + summary), Buffer.from(coloured + summary)).toString(), codeColoured, 'coloured blocks are cut at their coloured `warning:`/`error[…]:`, and those shown left out');
  t.equal(notShownYet(Buffer.from(plainText), Buffer.from(coloured)).toString(), plainText, 'the same warning without colours is another block: kept');
});

t.test('which output holds JSON lines', async (t) => {
  t.notOk(holdsJsonLines(Buffer.from('warning: 1 warning emitted\n')), 'text holds no JSON line');
  t.ok(holdsJsonLines(Buffer.from(`note: a line first\n${warning}\n`)), 'a JSON line after another');
  t.ok(holdsJsonLines(Buffer.from(`${warning}\n`)), 'a lone JSON line (a half that gave only its dep-info notice)');
  t.notOk(holdsJsonLines(Buffer.alloc(0)), 'nothing shown');
});

t.test('human text that is not UTF-8 (a linker naming a Latin-1 path): blocks that differ only in such bytes are two', async (t) => {
  const block = (byte: number) => Buffer.concat([Buffer.from('warning: linker stderr: /tmp/caf'), Buffer.from([byte]), Buffer.from('/x.o\n\n')]);
  t.equal(notShownYet(block(0xe9), block(0xe8)).toString('latin1'), block(0xe9).toString('latin1'), 'kept: the half showed another byte (read as UTF-8, both were U+FFFD, and it was lost)');
  t.equal(notShownYet(block(0xe9), block(0xe9)).length, 0, 'the same bytes: left out');
});

t.test("stdout: the plain run's less the half's where it begins with it, else whole", async (t) => {
  const sizes = Buffer.from('print-type-size type: `Pair`: 16 bytes\n');
  t.equal(outAfterShown(Buffer.concat([sizes, Buffer.from('more\n')]), sizes).toString(), 'more\n', 'the half\'s lines left out');
  t.equal(outAfterShown(Buffer.from('other\n'), sizes).toString(), 'other\n', 'a stdout that does not begin with them is kept whole');
  t.equal(outAfterShown(sizes, Buffer.alloc(0)).toString(), sizes.toString(), 'the half printed nothing');
});
