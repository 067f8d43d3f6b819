import t from 'tap';
import { parseInvocation } from '@splitcache/rustc';
import { diagnosticForm, hasDiagnostics } from '../src/diagnosticForm.js';
import { keyedArgs } from '../src/manifestKey.js';

const BASE = ['--crate-name', 'lib', 'src/lib.rs', '--crate-type', 'lib', '--error-format=json', '--out-dir', '/w/target/debug/deps'];
const inv = (json: string[]) => parseInvocation([...BASE, ...json]);

t.test("a call's diagnostic form: the display parts of --json, and only those", async (t) => {
  t.equal(diagnosticForm(inv(['--json=diagnostic-rendered-ansi,artifacts,future-incompat'])), '', "cargo's default: the default form");
  t.equal(diagnosticForm(inv(['--json=diagnostic-rendered-ansi,artifacts,future-incompat,diagnostic-short'])), 'diagnostic-short', '--message-format=short');
  t.equal(diagnosticForm(inv(['--json', 'diagnostic-short', '--json=diagnostic-unicode,artifacts'])), 'diagnostic-short,diagnostic-unicode', 'parts of several --json flags, sorted');
  t.equal(diagnosticForm(inv([])), '', 'no --json at all');
});

t.test('the key drops the display parts of --json and keeps the rest', async (t) => {
  const keyed = (json: string[]) => JSON.stringify(keyedArgs(inv(json)));
  const plain = keyed(['--json=diagnostic-rendered-ansi,artifacts,future-incompat']);
  t.equal(keyed(['--json=diagnostic-rendered-ansi,artifacts,future-incompat,diagnostic-short']), plain, 'a short call keys as a plain one');
  t.equal(keyed(['--json=diagnostic-short,diagnostic-rendered-ansi,artifacts,future-incompat']), keyed(['--json=diagnostic-rendered-ansi,artifacts,future-incompat']), 'wherever the part stands');
  t.not(keyed(['--json=diagnostic-rendered-ansi,future-incompat']), plain, 'without artifacts (what rustc prints changes): another key');
  t.equal(keyed(['--json', 'artifacts,diagnostic-short']), keyed(['--json', 'artifacts']), 'as a separate value too');
});

t.test('what counts as diagnostics in a stored stderr', async (t) => {
  const artifact = '{"$message_type":"artifact","artifact":"/w/target/debug/deps/liblib.rmeta","emit":"metadata"}\n';
  t.notOk(hasDiagnostics(Buffer.from('')), 'nothing');
  t.notOk(hasDiagnostics(Buffer.from(artifact + artifact)), 'artifact notices only');
  t.notOk(hasDiagnostics(Buffer.from(`\n${artifact}\n${artifact.trimEnd()}`)), 'blank lines, and a last line with no newline');
  t.ok(hasDiagnostics(Buffer.from(`${artifact}{"$message_type":"art`)), 'a line shorter than the notice that begins like one');
  t.ok(hasDiagnostics(Buffer.from(artifact).subarray(0, 10)), 'a stderr shorter than the notice');
  t.ok(hasDiagnostics(Buffer.from(artifact + '{"$message_type":"diagnostic","message":"unused variable"}\n')), 'a diagnostic');
  t.ok(hasDiagnostics(Buffer.from('{"$message_type":"future_incompat","future_incompat_report":[]}\n')), 'a future-incompat report');
  t.ok(hasDiagnostics(Buffer.from('warning: unused variable: `x`\n')), 'human-readable text');
});
