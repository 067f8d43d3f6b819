import t from 'tap';
import { parseInvocation } from '@splitcache/rustc';
import { diagnosticForm, hasDiagnostics, withoutRunTimings } from '../src/diagnosticForm.js';
import { keyedArgs } from '../src/manifestKey.js';

const BASE = ['--crate-name', 'lib', 'src/lib.rs', '--crate-type', 'lib', '--error-format=json', '--out-dir', '/w/target/debug/deps'];
const inv = (json: string[]) => parseInvocation([...BASE, ...json]);

t.test("a call's diagnostic form: the display parts of --json, and only those", async (t) => {
  t.equal(diagnosticForm(inv(['--json=diagnostic-rendered-ansi,artifacts,future-incompat'])), 'width=none', "cargo's default, piped: no parts, no width (spelled out: a result stored before had '', whatever its width)");
  t.equal(diagnosticForm(inv(['--json=diagnostic-rendered-ansi,artifacts,future-incompat,diagnostic-short'])), 'diagnostic-short,width=none', '--message-format=short');
  t.equal(diagnosticForm(inv(['--json', 'diagnostic-short', '--json=diagnostic-unicode,artifacts'])), 'diagnostic-short,diagnostic-unicode,width=none', 'parts of several --json flags, sorted');
  t.equal(diagnosticForm(inv([])), 'width=none', 'no --json at all');
  t.equal(diagnosticForm(inv(['--diagnostic-width=40'])), 'width=40', "cargo's terminal width");
  t.equal(diagnosticForm(inv([]), true), 'width=unread', 'a terminal whose size the daemon could not read: a width no stored result has');
  t.equal(diagnosticForm(inv(['--diagnostic-width=40']), true), 'width=40', 'a width of its own stands');
  t.equal(diagnosticForm(inv(['--json=diagnostic-short', '--diagnostic-width', '90', '--diagnostic-width=120'])), 'diagnostic-short,width=120', 'with the parts of --json; the last width, as rustc takes it');
  // Colours: human errors (a terminal's call has no --error-format=json: terminalArgs.ts).
  const human = (args: string[]) => parseInvocation([...BASE.filter((a) => a !== '--error-format=json'), ...args]);
  t.equal(diagnosticForm(human(['--color=always'])), 'color=always,width=none', 'colours (a terminal\'s: terminalArgs.ts)');
  t.equal(diagnosticForm(human(['--color', 'always', '--diagnostic-width=80'])), 'color=always,width=80', 'as a separate value, with a width');
  t.equal(diagnosticForm(human(['--error-format=short', '--color=always'])), 'color=always,width=none', 'short human errors are coloured: a part');
  t.equal(diagnosticForm(human(['--color=never'])), 'width=none', '`never` is what a pipe gets anyway');
  t.equal(diagnosticForm(human(['--color=auto'])), 'width=none', 'and so is `auto`');
  t.equal(diagnosticForm(inv(['--color=always'])), 'width=none', 'JSON errors: --color changes no byte of them, so no part (else such a call missed a result stored without it)');
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

t.test("a run's section timings are not stored with its diagnostics", async (t) => {
  const timing = (name: string) => `{"$message_type":"section_timing","event":"start","name":"${name}","time":1765000000000}\n`;
  const warning = '{"$message_type":"diagnostic","message":"unused variable: `x`","rendered":"warning: unused variable"}\n';
  const stderr = Buffer.from(timing('frontend') + warning + timing('codegen') + warning);
  t.equal(Buffer.from(withoutRunTimings(stderr)).toString(), warning + warning, 'the diagnostics, in order, without the timings');
  const plain = Buffer.from(warning);
  t.equal(withoutRunTimings(plain), plain, 'a stderr with none is returned as it is');
  t.equal(Buffer.from(withoutRunTimings(Buffer.from(warning + timing('link').trimEnd()))).toString(), warning, 'a last line with no newline');
});
