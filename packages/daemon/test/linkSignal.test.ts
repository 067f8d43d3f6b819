import t from 'tap';
import { endedBySignal, linkError } from '../src/callFlow.js';

// A failed link step ended by a signal from outside is no fault of the cache's (the call ends as
// rustc did, the entry stays); a crash may be the split's own, and falls back to a plain rustc.

t.test('which failed link steps were ended by a signal from outside', async (t) => {
  const none = Buffer.from('');
  for (const [code, why] of [[137, 'SIGKILL'], [143, 'SIGTERM'], [130, 'SIGINT'], [129, 'SIGHUP'], [131, 'SIGQUIT']] as const) {
    t.ok(endedBySignal(code, none), `rustc ended by ${why} (${code})`);
  }
  for (const [code, why] of [[139, 'SIGSEGV'], [134, 'SIGABRT'], [135, 'SIGBUS'], [132, 'SIGILL'], [1, 'an error'], [101, 'an ICE']] as const) {
    t.notOk(endedBySignal(code, none), `rustc ended by ${why} (${code}): a fault the fallback may mend`);
  }
  const linker = (n: number, name: string) => Buffer.from(`error: linking with \`cc\` failed: signal: ${n} (${name}) (core dumped)\n  |\n  = note: LC_ALL="C"`);
  t.ok(endedBySignal(1, linker(9, 'SIGKILL')), "the linker killed (the OOM killer's)");
  t.ok(endedBySignal(1, linker(2, 'SIGINT')), 'the linker stopped by a Ctrl-C that bash could not trap');
  t.notOk(endedBySignal(1, linker(11, 'SIGSEGV')), 'the linker crashed: may be the split objects');
  // gcc's driver survives the linker under it (the OOM killer's pick, the largest process): rustc 1.95 and nightly say so.
  const collect2 = (n: number, name: string) => Buffer.from(`error: linking with \`cc\` failed: exit status: 1\n  |\n  = note: collect2: fatal error: ld terminated with signal ${n} [${name}]\n          compilation terminated.\n`);
  t.ok(endedBySignal(1, collect2(9, 'Killed')), 'ld killed under collect2');
  t.ok(endedBySignal(1, collect2(15, 'Terminated')), 'ld terminated under collect2');
  t.notOk(endedBySignal(1, collect2(11, 'Segmentation fault')), 'ld crashed under collect2');
  t.ok(endedBySignal(1, Buffer.from('  = note: clang: error: unable to execute command: Killed\n')), "clang's linker killed");
  t.notOk(endedBySignal(1, Buffer.from('  = note: clang: error: unable to execute command: Segmentation fault (core dumped)\n')), "clang's linker crashed");
  t.ok(endedBySignal(1, Buffer.from('error: compilation was interrupted\n')), "rustc's own Ctrl-C");
  t.notOk(endedBySignal(1, Buffer.from('error: linking with `cc` failed: exit status: 1\n')), 'a link error');
});

t.test("a failed link's own words, in one line for daemon.log", async (t) => {
  const stderr = [
    'error: linking with `/tmp/lk/fcc` failed: exit status: 1',
    '  |',
    '  = note:  "/tmp/lk/fcc" "-m64" "/tmp/lk/rustcIj3tTx/symbols.o" "<2 object files omitted>"',
    '  = note: some arguments are omitted. use `--verbose` to show all linker arguments',
    '  = note: split link refused',
    '          /usr/bin/ld: cannot find -lfoo',
    '          ',
    '',
    'error: aborting due to 1 previous error',
    '',
  ].join('\n');
  t.equal(linkError(Buffer.from(stderr)), 'error: linking with `/tmp/lk/fcc` failed: exit status: 1 | split link refused | /usr/bin/ld: cannot find -lfoo', 'the error and the linker\'s notes, not its command line');
  t.ok(linkError(Buffer.from('x'.repeat(5000))).length <= 400, 'at most 400 characters');
});

t.test("a failed link's own words under cargo, which has rustc say them in JSON", async (t) => {
  // As rustc 1.95 wrote it under `--error-format=json` (the command line cut short here).
  const note = (message: string) => ({ message, code: null, level: 'note', spans: [], children: [], rendered: null });
  const diagnostic = (message: string, children: object[]) => JSON.stringify({ $message_type: 'diagnostic', message, code: null, level: 'error', spans: [], children, rendered: `error: ${message}\n` });
  const stderr = [
    diagnostic('linking with `cc` failed: exit status: 1', [
      note(' "cc" "-m64" "/t/debug/build/serde_derive-48/rustcYK/symbols.o" "<2 object files omitted>" "-Wl,--as-needed" '.padEnd(900, 'x')),
      note('some arguments are omitted. use `--verbose` to show all linker arguments'),
      note('rust-lld: error: cannot open /t/debug/build/serde_derive-48/build_script_build-48.b.cgu.0.rcgu.o: No such file or directory\ncollect2: error: ld returned 1 exit status\n'),
    ]),
    diagnostic('aborting due to 1 previous error', []),
    '',
  ].join('\n');
  t.equal(
    linkError(Buffer.from(stderr)),
    'error: linking with `cc` failed: exit status: 1 | rust-lld: error: cannot open /t/debug/build/serde_derive-48/build_script_build-48.b.cgu.0.rcgu.o: No such file or directory | collect2: error: ld returned 1 exit status',
    "the error and the linker's words, not the JSON nor the command line",
  );
  t.equal(linkError(Buffer.from('{"not a diagnostic": true}\n{broken\n')), '{"not a diagnostic": true} | {broken', 'a line that is no JSON diagnostic stays as it was');
});
