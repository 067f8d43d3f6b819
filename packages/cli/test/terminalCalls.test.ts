import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, run, Store, tempDir } from './helpers.js';

// rustc called in a terminal, not by cargo (a Makefile, a script, a developer): a plain rustc
// colours its diagnostics there. The rustc a cached call runs writes to a pipe, so its warnings
// came without colours, miss or hit. The daemon now gives it `--color=always` where a plain
// rustc would colour (daemon/src/terminalArgs.ts). util-linux `script` gives the call a terminal.
const skip = spawnSync('script', ['--version']).status === 0 ? false : 'util-linux script(1) is not installed';

const ESC = '\u001b[';
const WARNS = 'pub fn f() -> u32 { let unused = 1; 2 }\n';
const QUIET = 'pub fn g() -> u32 { 3 }\n';

function crate(source: string): string {
  const dir = tempDir('terminal');
  writeFileSync(join(dir, 'lib.rs'), source);
  return dir;
}

const ARGS = '--crate-name tl --crate-type lib --edition=2021 --emit=dep-info,metadata,link --out-dir out lib.rs';

/** rustc, plainly or through splitcache, in a terminal; the terminal's bytes (stdout and stderr as one, CR LF ends). */
async function inTerminal(store: Store | undefined, dir: string, env: Record<string, string | undefined> = {}): Promise<string> {
  rmSync(join(dir, 'out'), { recursive: true, force: true });
  mkdirSync(join(dir, 'out'));
  const command = store ? `${BIN} rustc ${ARGS}` : `rustc ${ARGS}`;
  const r = await run('script', ['-qec', `${command}; echo "exit=$?"`, '/dev/null'], { cwd: dir, env: store ? store.env(env) : { ...process.env, ...env } });
  return r.stdout;
}

t.test('in a terminal: colours, as plain rustc, on a miss and on a hit', { skip }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = crate(WARNS);
  const env = { TERM: 'xterm', NO_COLOR: undefined, CLICOLOR: undefined, CLICOLOR_FORCE: undefined, SPLITCACHE_SESSION: 'tty' };
  const plain = await inTerminal(undefined, dir, env);
  t.match(plain, /exit=0/, 'plain rustc builds');
  t.ok(plain.includes(ESC), 'plain rustc colours its warning (else this test shows nothing)');
  t.equal(await inTerminal(store, dir, env), plain, 'a miss shows the same bytes');
  t.equal(await inTerminal(store, dir, env), plain, 'so does a hit');
  const nodeClient = await inTerminal(store, dir, { ...env, SPLITCACHE_CLIENT: 'node' });
  t.equal(nodeClient, plain, 'and a hit through the node client');
  t.same((await store.calls('tty')).map((e) => e.outcome), ['miss', 'hit', 'hit'], 'a miss, then hits');
});

t.test('a bin in a terminal (its -Zno-link half warns, its link half is quiet): colours, as plain rustc', { skip }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = tempDir('terminal-bin');
  writeFileSync(join(dir, 'main.rs'), 'fn main() { let unused = 1; println!("ran"); }\n');
  const env = { TERM: 'xterm', NO_COLOR: undefined, CLICOLOR: undefined, CLICOLOR_FORCE: undefined };
  const build = async (s: Store | undefined) => {
    rmSync(join(dir, 'out'), { recursive: true, force: true });
    mkdirSync(join(dir, 'out'));
    const command = `${s ? `${BIN} rustc` : 'rustc'} --crate-name tb --crate-type bin --edition=2021 --emit=dep-info,link --out-dir ${join(dir, 'out')} main.rs && ./out/tb`;
    return (await run('script', ['-qec', command, '/dev/null'], { cwd: dir, env: s ? s.env({ ...env, SPLITCACHE_SESSION: 'bin' }) : { ...process.env, ...env } })).stdout;
  };
  const plain = await build(undefined);
  t.ok(plain.includes(ESC) && plain.includes('ran'), 'plain rustc colours its warning, and the bin runs');
  t.equal(await build(store), plain, 'a miss shows the same bytes');
  t.equal(await build(store), plain, 'so does a hit');
  t.same((await store.calls('bin')).map((e) => e.outcome), ['miss', 'hit'], 'a miss, then a hit');
});

t.test("the terminal's settings (NO_COLOR, TERM, CLICOLOR, CLICOLOR_FORCE, CI) and a call's own --color, as plain rustc takes them", { skip }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = crate(WARNS);
  const base = { TERM: 'xterm', NO_COLOR: undefined, CLICOLOR: undefined, CLICOLOR_FORCE: undefined, CI: undefined };
  for (const [name, env] of [
    ['NO_COLOR=1', { NO_COLOR: '1' }],
    ['TERM=dumb', { TERM: 'dumb' }],
    ['TERM unset', { TERM: undefined }],
    ['CLICOLOR=0', { CLICOLOR: '0' }],
    ['TERM=dumb CLICOLOR_FORCE=1', { TERM: 'dumb', CLICOLOR_FORCE: '1' }],
    ['TERM=dumb CLICOLOR_FORCE=0', { TERM: 'dumb', CLICOLOR_FORCE: '0' }],
    ['TERM unset CI=', { TERM: undefined, CI: '' }],
  ] as const) {
    const plain = await inTerminal(undefined, dir, { ...base, ...env });
    t.equal(await inTerminal(store, dir, { ...base, ...env }), plain, `${name}: as plain rustc (${plain.includes(ESC) ? 'colours' : 'none'})`);
  }
  for (const colour of ['never', 'auto', 'always']) {
    const withOwn = async (s: Store | undefined) => {
      rmSync(join(dir, 'out'), { recursive: true, force: true });
      mkdirSync(join(dir, 'out'));
      const command = `${s ? `${BIN} rustc` : 'rustc'} --color=${colour} ${ARGS}`;
      return (await run('script', ['-qec', `${command}; echo "exit=$?"`, '/dev/null'], { cwd: dir, env: s ? s.env(base) : { ...process.env, ...base } })).stdout;
    };
    const plain = await withOwn(undefined);
    t.equal(await withOwn(store), plain, `--color=${colour} of its own: built, as plain rustc (${plain.includes(ESC) ? 'colours' : 'none'})`);
  }
});

t.test('a crate that printed nothing is one entry for a terminal and a pipe; one that warned is not', { skip }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const quiet = crate(QUIET);
  const env = { TERM: 'xterm', NO_COLOR: undefined, SPLITCACHE_SESSION: 'tty' };
  t.match(await inTerminal(store, quiet, env), /^exit=0\r?\n$/, 'stored from a terminal');
  const piped = async (dir: string, session: string) => {
    rmSync(join(dir, 'out'), { recursive: true, force: true });
    mkdirSync(join(dir, 'out'));
    return run(BIN, ['rustc', ...ARGS.split(' ')], { cwd: dir, env: store.env({ SPLITCACHE_SESSION: session }) });
  };
  t.equal((await piped(quiet, 'piped-quiet')).code, 0, 'then built on a pipe');
  t.same((await store.calls('piped-quiet')).map((e) => e.outcome), ['hit'], 'a hit: colours are not keyed');
  const warns = crate(WARNS);
  await inTerminal(store, warns, env);
  const r = await piped(warns, 'piped-warns');
  t.notOk(r.stderr.includes(ESC), 'the warning on a pipe has no colours');
  t.match(r.stderr, /unused/, 'but is there');
  t.same((await store.calls('piped-warns')).map((e) => `${e.outcome}:${e.reason ?? ''}`), ['miss:diagnostic-form'], 'a miss: the stored warning was rendered for the terminal');
});

t.test('a --color that rustc refuses (twice, another value, or beside --json) fails through splitcache as plainly, after a result without one was stored', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = crate(WARNS);
  const call = async (extra: string[], s: Store | undefined) => {
    rmSync(join(dir, 'out'), { recursive: true, force: true });
    mkdirSync(join(dir, 'out'));
    return s ? run(BIN, ['rustc', ...extra, ...ARGS.split(' ')], { cwd: dir, env: s.env() }) : run('rustc', [...extra, ...ARGS.split(' ')], { cwd: dir });
  };
  t.equal((await call([], store)).code, 0, 'stored without --color');
  const json = ['--error-format=json', '--json=diagnostic-rendered-ansi'];
  t.equal((await call(json, store)).code, 0, "stored with cargo's --json");
  for (const extra of [['--color=auto', '--color=auto'], ['--color=never', '--color', 'always'], ['--color=bogus'], [...json, '--color=never']]) {
    const plain = await call(extra, undefined);
    t.equal(plain.code, 1, `${extra.join(' ')}: plain rustc refuses it`);
    const r = await call(extra, store);
    t.equal(r.code, 1, `${extra.join(' ')}: so does a call through splitcache (before: a hit, exit 0)`);
    t.equal(r.stderr, plain.stderr, 'with the same error');
  }
  t.same((await store.audit()).slice(2).map((e) => `${e.outcome}:${e.reason}`), Array(4).fill('passthrough:color-refused'), 'each run plainly');
  // In a terminal, its refusal is coloured, as plain rustc colours it (through the daemon's pipe it came without colours).
  const env = { TERM: 'xterm', NO_COLOR: undefined, CLICOLOR: undefined, CLICOLOR_FORCE: undefined, CI: undefined };
  const inTerm = async (extra: string, s?: Store) => (await run('script', ['-qec', `${s ? `${BIN} rustc` : 'rustc'} ${extra} ${ARGS}; echo "exit=$?"`, '/dev/null'], { cwd: dir, env: s ? s.env(env) : { ...process.env, ...env } })).stdout;
  // And --json without --error-format=json, which rustc refuses too.
  for (const extra of ['--color=auto --color=auto', '--json=artifacts']) {
    const plain = await inTerm(extra);
    t.match(plain, ESC, `${extra}: plain rustc colours its refusal (else this shows nothing)`);
    t.equal(await inTerm(extra, store), plain, `${extra}, in a terminal: as plain rustc, colours and exit code`);
  }
  const explained = (await run(BIN, ['explain', 'tl'], { env: store.env() })).stdout;
  t.match(explained, /passed through for json-refused\n  rustc refuses --json without --error-format=json/, 'explain says what rustc refused');
  t.notMatch(explained, /\n  json-refused\n/, 'and does not repeat the reason');
});

t.test('a --diagnostic-width that rustc refuses (twice, or no number) fails through splitcache as plainly, after a quiet result was stored', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = crate(QUIET);
  const call = async (extra: string[], s?: Store) => {
    rmSync(join(dir, 'out'), { recursive: true, force: true });
    mkdirSync(join(dir, 'out'));
    return run(s ? BIN : 'rustc', [...(s ? ['rustc'] : []), ...extra, ...ARGS.split(' ')], { cwd: dir, env: s ? s.env() : process.env });
  };
  t.equal((await call([], store)).code, 0, 'stored without a width');
  for (const extra of [['--diagnostic-width=80', '--diagnostic-width=90'], ['--diagnostic-width=wide']]) {
    const plain = await call(extra);
    t.equal(plain.code, 1, `${extra.join(' ')}: plain rustc refuses it`);
    const r = await call(extra, store);
    t.same([r.code, r.stderr], [1, plain.stderr], `${extra.join(' ')}: so does a call through splitcache, with the same error (before: a hit, exit 0)`);
  }
  t.equal((await call(['--diagnostic-width=+90'], store)).code, 0, 'a width rustc takes (as usize parses it) hits');
  t.same((await store.audit()).map((e) => (e.outcome === 'hit' ? 'hit' : `${e.outcome}:${e.reason}`)), ['miss:new-key', 'passthrough:width-refused', 'passthrough:width-refused', 'hit']);
});

// With no --diagnostic-width, rustc lays out for the size of its controlling terminal, whatever its
// descriptors (a `| cat` here, as `cargo build | tee`, whose rustc calls cargo gives pipes and no
// width), and for 140 columns without one. A result laid out for a 40-column terminal was served at
// 200 columns, and to a call with no terminal (a review's repro). A line that rustc cuts to fit:
const LONG = `pub fn f() -> u32 { /* ${'x'.repeat(110)} */ let unused = 1; 2 }\n`;
const setsid = spawnSync('setsid', ['--version']).status === 0;

t.test("the controlling terminal's width, on the terminal and through a pipe, as plain rustc; none without one", { skip: skip || (!setsid && 'no setsid') }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = crate(LONG);
  const env = { TERM: 'xterm', NO_COLOR: undefined, CLICOLOR: undefined, CLICOLOR_FORCE: undefined };
  const at = async (s: Store | undefined, size: string, tail = '') => {
    rmSync(join(dir, 'out'), { recursive: true, force: true });
    mkdirSync(join(dir, 'out'));
    const command = `${s ? `${BIN} rustc` : 'rustc'} ${ARGS}`;
    const inner = size === 'none' ? ['setsid', '-w', 'sh', '-c', `${command} 2>&1`] : ['script', '-qec', `stty rows 30 cols ${size}; ${command}${tail}; echo "exit=$?"`, '/dev/null'];
    return (await run(inner[0]!, inner.slice(1), { cwd: dir, env: s ? s.env(env) : { ...process.env, ...env } })).stdout;
  };
  const plain40 = await at(undefined, '40');
  t.not(plain40, await at(undefined, '200'), 'plain rustc lays out for the width (else this test shows nothing)');
  for (const [size, tail] of [['40', ''], ['200', ''], ['40', ''], ['40', ' 2>&1 | cat'], ['200', ' 2>&1 | cat'], ['none', '']] as const) {
    t.equal(await at(store, size, tail), await at(undefined, size, tail), `${size === 'none' ? 'no terminal' : `${size} columns`}${tail ? ', through a pipe' : ''}: as plain rustc`);
  }
  const outcomes = (await store.audit()).map((e) => (e.outcome === 'hit' ? 'hit' : e.reason ?? e.outcome));
  // The piped calls get no colours (their stderr is no terminal): a form of their own too.
  t.same(outcomes, ['new-key', 'diagnostic-form', 'hit', 'diagnostic-form', 'diagnostic-form', 'diagnostic-form'], 'each width its own result; the same form hits');
});

// rustc takes the width of its stdout, stdin or stderr where one is a terminal, and its controlling
// terminal only where none is: `setsid -w rustc …` in a 40-column terminal (descriptors on it, no
// controlling terminal) lays out for 40 columns. Taken from the controlling terminal alone, such a
// call was stored with no width in its form, and served to a call with no terminal at all.
t.test('descriptors on a terminal with no controlling terminal: its width, as plain rustc', { skip: skip || (!setsid && 'no setsid') }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = crate(LONG);
  // No colours (TERM=dumb), so the form differs by the width alone.
  const env = { TERM: 'dumb', NO_COLOR: undefined, CLICOLOR: undefined, CLICOLOR_FORCE: undefined, CI: undefined };
  const at = async (s: Store | undefined, where: 'fds' | 'none') => {
    rmSync(join(dir, 'out'), { recursive: true, force: true });
    mkdirSync(join(dir, 'out'));
    const command = `${s ? `${BIN} rustc` : 'rustc'} ${ARGS}`;
    const inner = where === 'none' ? ['setsid', '-w', 'sh', '-c', `${command} 2>&1 </dev/null`] : ['script', '-qec', `stty rows 30 cols 40; setsid -w ${command}; echo "exit=$?"`, '/dev/null'];
    return (await run(inner[0]!, inner.slice(1), { cwd: dir, env: s ? s.env(env) : { ...process.env, ...env } })).stdout;
  };
  t.not(await at(undefined, 'fds'), await at(undefined, 'none'), 'plain rustc lays out for the descriptors\' terminal (else this test shows nothing)');
  for (const where of ['fds', 'none', 'fds'] as const) t.equal(await at(store, where), await at(undefined, where), `${where === 'fds' ? 'descriptors on a 40-column terminal, no controlling one' : 'no terminal'}: as plain rustc`);
  // The node client too (client.ts, ownTerminal), which tells the daemon its descriptors' terminal.
  const node = new Store();
  t.teardown(() => node.stop());
  Object.assign(env, { SPLITCACHE_CLIENT: 'node' });
  for (const where of ['fds', 'none', 'fds'] as const) t.equal(await at(node, where), await at(undefined, where), `node client, ${where === 'fds' ? 'descriptors on a 40-column terminal, no controlling one' : 'no terminal'}: as plain rustc`);
});

const STTY = spawnSync('sh', ['-c', 'command -v stty'], { encoding: 'utf8' }).stdout.trim();

/** An environment whose PATH starts with an `stty` that refuses every device, as the real one does another user's terminal. */
function refusingStty(): Record<string, string | undefined> {
  const refusing = tempDir('stty');
  writeFileSync(join(refusing, 'stty'), '#!/bin/sh\necho "stty: $2: Permission denied" >&2\nexit 1\n', { mode: 0o755 });
  return { TERM: 'dumb', NO_COLOR: undefined, CLICOLOR: undefined, CLICOLOR_FORCE: undefined, CI: undefined, PATH: `${refusing}:${process.env.PATH}` };
}

// Where the daemon can't read the terminal's size (`stty -F` refused the device: a build run as
// another user in someone's terminal, a devpts the daemon can't see), rustc still lays out for that
// terminal through its own descriptors. Such a result was stored under `width=none` and served to a
// call with no terminal, cut for 40 columns. Now its form names no width anyone has: a result with
// diagnostics is neither served to it nor stored from it, and a quiet crate still hits. The daemon
// starts with the first call's PATH, whose `stty` here refuses every device, as the real one does
// another user's terminal ("Permission denied", exit 1).
t.test("a terminal whose size can't be read: a result with diagnostics is neither served nor stored, a quiet one is", { skip: skip || (!setsid && 'no setsid') }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const env = refusingStty();
  const at = async (s: Store | undefined, dir: string, where: 'terminal' | 'none') => {
    rmSync(join(dir, 'out'), { recursive: true, force: true });
    mkdirSync(join(dir, 'out'));
    const command = `${s ? `${BIN} rustc` : 'rustc'} ${ARGS}`;
    const inner = where === 'none' ? ['setsid', '-w', 'sh', '-c', `${command} 2>&1 </dev/null`] : ['script', '-qec', `${STTY} rows 30 cols 40; ${command}; echo "exit=$?"`, '/dev/null'];
    return (await run(inner[0]!, inner.slice(1), { cwd: dir, env: s ? s.env(env) : { ...process.env, ...env } })).stdout;
  };
  const warns = crate(LONG);
  t.not(await at(undefined, warns, 'terminal'), await at(undefined, warns, 'none'), 'plain rustc lays out for the terminal (else this test shows nothing)');
  for (const where of ['terminal', 'none', 'terminal'] as const) t.equal(await at(store, warns, where), await at(undefined, warns, where), `${where === 'none' ? 'no terminal' : 'a 40-column terminal, size unread'}: as plain rustc`);
  const quiet = crate(QUIET);
  for (let i = 0; i < 2; i++) t.equal(await at(store, quiet, 'terminal'), await at(undefined, quiet, 'terminal'), 'a quiet crate: as plain rustc');
  const events = (await store.audit()).map((e) => `${e.outcome === 'hit' ? 'hit' : e.reason ?? e.outcome}${e.notStored ? `/${e.notStored}` : ''}`);
  t.same(events, ['new-key/width-unread', 'new-key', 'diagnostic-form/width-unread', 'new-key', 'hit'], 'the warned crate stored only for no terminal, served to none in one; the quiet crate stored and hit');
});

t.test("explain names why a crate warned in a terminal whose size can't be read misses again", { skip }, async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const dir = crate(WARNS);
  for (let i = 0; i < 2; i++) t.match(await inTerminal(store, dir, refusingStty()), /exit=0/, 'builds');
  const r = await run(BIN, ['explain', 'tl'], { env: store.env() });
  t.match(r.stdout, /not stored:\n.*terminal whose size/, `says why in words (before, "width-unread" alone): ${r.stdout}`);
});
