import t from 'tap';
import { holdsJsonLines, notShownYet } from '../src/notShownYet.js';

// The plain rustc run after a failed split link repeats the -Zno-link half's diagnostics: under
// --error-format=json the lines already shown are left out, and everything else is kept in order.

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

t.test('human text is given whole', async (t) => {
  const text = Buffer.from('warning: unused variable: `x`\n --> a.rs:1:5\n  |\n\nerror: linking with `cc` failed\n  |\n');
  t.equal(notShownYet(text, Buffer.from('warning: unused variable: `x`\n --> a.rs:1:5\n  |\n\n')).toString(), text.toString(), 'nothing is left out');
  t.notOk(holdsJsonLines(Buffer.from('warning: 1 warning emitted\n')), 'text holds no JSON line');
  t.ok(holdsJsonLines(Buffer.from(`note: a line first\n${warning}\n`)), 'a JSON line after another');
  t.ok(holdsJsonLines(Buffer.from(`${warning}\n`)), 'a lone JSON line (a half that gave only its dep-info notice)');
  t.notOk(holdsJsonLines(Buffer.alloc(0)), 'nothing shown');
});
