import t, { type Test } from 'tap';
import { spawn, type SpawnOptions } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompileHandler } from '../src/compileHandler.js';
import { ExecServer } from '../src/execServer.js';
import { makeLogger } from '../src/log.js';

// The exec port's opening (execServer.ts): only the token lets a connection in, an opening that
// never ends is cut off, a reset does no harm, and a call taken is not timed as an opening.
// Then a call taken, against a stand-in handler (execCall.ts): its runs, answers, output and
// warnings, and what its caller hears while the daemon works.

/** An exec server on a fresh dir, a handler whose plan takes `planMs` (and whose `done` is `done`), and its hold/release count. */
async function server(t: Test, planMs = 0, requestTimeoutMs?: number, plan: object = { action: 'passthrough', reason: 'test' }, done = async () => ({})) {
  const dir = mkdtempSync(join(tmpdir(), 'sc-opening-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const handler = {
    openCall: () => ({ close: () => undefined }),
    compile: () => new Promise((res) => setTimeout(() => res(plan), planMs)),
    settleIfLast: async () => undefined,
    forget: () => undefined,
    done,
    outputsMade: () => undefined,
  } as unknown as CompileHandler;
  const held = { now: 0 };
  const exec = new ExecServer(dir, handler, makeLogger(process.env.SC_DEBUG ? 'debug' : 'quiet'), { hold: () => held.now++, release: () => held.now-- }, requestTimeoutMs);
  await exec.listen();
  t.teardown(() => exec.close());
  const [port, token, runs] = readFileSync(join(dir, 'exec.port'), 'utf8').trim().split(' ');
  return { dir, port: Number(port), token: token!, runs: runs!, held };
}

/** What the port answers `bytes`, until it closes the connection (or `ms` pass: 'left open'). */
function ask(port: number, bytes: Buffer | string, ms = 3000): Promise<string> {
  return new Promise((res) => {
    const c = connect(port, '127.0.0.1');
    let got = '';
    const open = setTimeout(() => (c.destroy(), res(`${got}left open`)), ms);
    c.on('data', (d) => (got += d.toString()));
    c.on('close', () => (clearTimeout(open), res(got)));
    c.on('error', () => undefined);
    c.write(bytes);
  });
}

/**
 * A bash caller's opening, as bin/splitcache of /4 sends it ($1 the port, $2 the token), then what
 * follows. Its stdout and stderr are sent as dups (4, 5), as bin/splitcache sends its own: bash
 * moves fds 0-2 while a builtin's redirection runs (`printf >&3`), and the port may look right then.
 */
const OPEN4 = '{ exec 2>&1 4>&1 5>&2 3<>"/dev/tcp/127.0.0.1/$1" && printf "%s\\0" sc-exec/4 "$2" $BASHPID 4 5 "" 1 rustc >&3';
/** The same as /10 sends it, its pid proven by its stat line. */
const OPEN10 = '{ exec 2>&1 4>&1 5>&2 3<>"/dev/tcp/127.0.0.1/$1" && read -r st </proc/$BASHPID/stat && printf "%s\\0" sc-exec/10 "$2" $BASHPID 4 5 "" 3 "$st" 1 rustc >&3';

/**
 * Runs a bash caller: `script`, with $1 the port, $2 the token and $3 `arg` where one is given, its
 * stdout a pipe read into `said()` as it comes (`onData` sees each piece after), under `env` beside
 * this process's. `ended` resolves once the caller has closed, true; or, given `ms`, false once that
 * has passed, the caller and its `cat` killed as a group (it is started as one then).
 */
function bashCaller(port: number, token: string, script: string, opts: { arg?: string; env?: NodeJS.ProcessEnv; ms?: number; spawn?: SpawnOptions; onData?: (b: Buffer) => void } = {}) {
  const args = ['-c', script, '_', String(port), token, ...(opts.arg === undefined ? [] : [opts.arg])];
  const caller = spawn('bash', args, { ...opts.spawn, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env }, detached: opts.ms !== undefined });
  let said = '';
  caller.stdout!.on('data', (b: Buffer) => {
    said += b.toString();
    opts.onData?.(b);
  });
  const closed = new Promise<boolean>((r) => caller.on('close', () => r(true)));
  let timer: NodeJS.Timeout | undefined;
  const ended = opts.ms === undefined ? closed : Promise.race([closed, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), opts.ms)))]).then((done) => {
    clearTimeout(timer);
    if (!done) process.kill(-caller.pid!, 'SIGKILL');
    return done;
  });
  return { said: () => said, ended };
}

/** An sc-exec/2 opening with `secret`, naming a pid that holds no such connection (declined: `fallback`). */
const opening = (secret: string) => ['sc-exec/2', secret, '1', '1', '2', '', '1', 'rustc', ''].join('\0');

t.test('only the whole token lets a connection in: none, a part of it, or one off by any character is closed unanswered', async (t) => {
  const { port, token } = await server(t);
  t.equal(await ask(port, opening(token)), 'ok\nfallback\n', 'the token: answered (and the pid declined)');
  const flip = (i: number) => token.slice(0, i) + (token[i] === '0' ? '1' : '0') + token.slice(i + 1);
  const wrong = { empty: '', 'its first half': token.slice(0, 16), 'all but its last character': token.slice(0, -1), 'one character more': `${token}0`, 'its first character changed': flip(0), 'all but its last changed': [...token].map((ch, i) => (i === token.length - 1 ? ch : ch === 'a' ? 'b' : 'a')).join('') };
  for (const [what, secret] of Object.entries(wrong)) t.equal(await ask(port, opening(secret)), '', `${what}: no answer, the connection closed`);
});

t.test('an opening too long for a magic or the token is cut off at once; one over 16 MB after the token too', async (t) => {
  const { port, token } = await server(t);
  t.equal(await ask(port, 'a'.repeat(100)), '', 'a first field longer than any magic: closed');
  t.equal(await ask(port, `sc-exec/2\0${'a'.repeat(100)}`), '', 'a token field longer than the token: closed');
  // Read as it comes, 16 MB take the port a few seconds of CPU on a loaded runner.
  const big = Buffer.alloc(17 * 1024 * 1024, 0x61);
  t.equal(await ask(port, Buffer.concat([Buffer.from(`sc-exec/2\0${token}\0`), big]), 30_000), '', 'the token, then a field that never ends: closed');
  t.equal(await ask(port, opening(token)), 'ok\nfallback\n', 'the next call is answered');
});

t.test('a connection reset in its opening, or after it, takes nothing down; every connection is released', async (t) => {
  const { port, token, held } = await server(t);
  for (const part of ['sc-exec/2\0', opening(token)]) {
    await new Promise<void>((res) => {
      const c = connect(port, '127.0.0.1', () => c.write(part, () => setTimeout(() => (c.resetAndDestroy(), res()), 50)));
      c.on('error', () => undefined);
    });
  }
  await new Promise((r) => setTimeout(r, 300));
  t.equal(await ask(port, opening(token)), 'ok\nfallback\n', 'the port still answers');
  await ask(port, opening('wrong'));
  await new Promise((r) => setTimeout(r, 100));
  t.equal(held.now, 0, 'each connection held the daemon up only while it was open');
});

t.test('a call whose plan outlasts the request timeout: it hears `alive` meanwhile, and gets its answer', async (t) => {
  const { dir, port, token } = await server(t, 3_000, 1_000);
  // A caller as bin/splitcache of /4 is (it takes `alive`), its connection looked up in the TCP table; its
  // stdout and stderr a pipe, as cargo gives them (node's stdio pipes are socket pairs, which the port declines).
  const script = OPEN4 + ' && cat <&3; } | cat';
  const caller = bashCaller(port, token, script, { env: { SPLITCACHE_DIR: dir } });
  await caller.ended;
  const said = caller.said();
  const lines = said.split('\n');
  t.equal(lines[0], 'ok', 'taken');
  t.ok(lines.filter((l) => l === 'alive').length >= 2, `alive while the plan was made (${JSON.stringify(said)})`);
  t.equal(lines.at(-2), 'plain', 'then its answer: the connection was not cut at the request timeout');
});

/**
 * A caller as bin/splitcache of /4 is, its stdout and stderr one pipe (as cargo gives them: node's stdio
 * pipes are socket pairs, which the port declines), answering each run with `answer`: what it heard, and
 * whether that pipe ended within 10 s of the call (every writer closed, the daemon's copies too).
 */
async function call(port: number, token: string, env: NodeJS.ProcessEnv, answer = 'ran 0 quiet'): Promise<{ said: string; ended: boolean }> {
  const script = OPEN4 + ' && while read -r l <&3; do echo "$l"; case $l in run*) echo "$3" >&3;; esac; done; } | cat';
  // Killed past 10 s with its `cat` too, which a pipe left open keeps reading.
  const caller = bashCaller(port, token, script, { arg: answer, env, ms: 10_000 });
  const ended = await caller.ended;
  return { said: caller.said(), ended };
}

t.test("a call that fails, or that the port declines once the caller is open, lets go of the caller's pipes", async (t) => {
  const run = { action: 'run', token: 'tk', args: ['--version'], bootstrap: false };
  const { dir, port, token } = await server(t, 0, undefined, run);
  // Answered with something else than `ran <code> <how>`: the call fails, and the caller builds plainly.
  const failed = await call(port, token, { SPLITCACHE_DIR: dir }, 'nonsense');
  t.match(failed.said, /^ok\nrun quiet 0 \S+\n$/, 'the run was asked for, and the connection closed');
  t.ok(failed.ended, "the caller's stdout ended with it: cargo, reading it, is not kept waiting");
  // A caller whose environment names another store (a copy of this one): the port sends it to the node client.
  const copy = mkdtempSync(join(tmpdir(), 'sc-other-'));
  t.teardown(() => rmSync(copy, { recursive: true, force: true }));
  const other = await call(port, token, { SPLITCACHE_DIR: copy });
  t.equal(other.said, 'ok\nfallback\n', 'another store: declined');
  t.ok(other.ended, "and its stdout ended with it");
});

// While a tee run's rustc works in silence, the caller's watchdog hears an empty line each second: a
// daemon that sent nothing was stopped as hung (at 10 s if it did nothing meanwhile, 60 s if it worked),
// and the call ran again uncached: every compile that long through the exec port. And its rustc's exit
// code is the call's, whatever it is (101 was the call's 1 under a mutation, and no test said so).
t.test("a tee run's caller hears an empty line each second while its rustc runs", async (t) => {
  const run = { action: 'run', token: 'tk', args: ['--version'], bootstrap: false };
  const { dir, port, token, runs } = await server(t, 0, undefined, run);
  // A caller as bin/splitcache of /10 is: it proves its pid, takes its tee runs' stderr inline, and
  // answers one, after its 3 s "compile" that prints to stdout and panics, with a NUL, the run's marker and `ran`.
  const script = [
    OPEN10 + ' &&',
    'while IFS= read -r l <&3; do echo "[$l]"; case $l in "run tee "*) a=($l); echo printed at compile time >"$3/${a[3]}.out"; sleep 3; printf "\\0%s ran 101 tee\\n" "${a[4]}" >&3;; esac; done; } | cat',
  ].join(' ');
  const caller = bashCaller(port, token, script, { arg: runs, env: { SPLITCACHE_DIR: dir } });
  await caller.ended;
  const said = caller.said();
  const lines = said.split('\n');
  t.match(lines[1], /^\[run tee 0 \S+ \S+\]$/, `a tee run (${JSON.stringify(said)})`);
  t.ok(lines.filter((l) => l === '[]').length >= 2, 'empty lines while it ran');
  t.ok(lines.includes('printed at compile time'), "what its rustc printed to stdout (a proc-macro's println!) was relayed");
  await new Promise((r) => setTimeout(r, 300));
  const id = /^\[run tee 0 (\S+) /.exec(lines[1]!)?.[1];
  t.same(readdirSync(runs).filter((f) => f === id || f.startsWith(`${id}.`)), [], "the run's files are removed once it has ended (a runs dir on /dev/shm is memory)");
  t.equal(lines.at(-2), '[exit 101]', "then the call ended as its rustc did (101: rustc's panic), its code as it was");
});

// A hit's output is written off the event loop, stdout then stderr, and the caller's descriptors are
// closed only once both are out: closed as the call ended, a write still queued behind one that
// waited on a slow reader (cargo busy) failed, and that output was lost (mutation E10).
t.test("a hit's output reaches a slow reader whole before the call ends", async (t) => {
  const out = Buffer.alloc(256 * 1024, 0x6f);
  const hit = { action: 'hit', token: 'tk', stdout: out, stderr: Buffer.from('warning: the last words\n'), code: 0 };
  const { dir, port, token } = await server(t, 0, undefined, hit);
  const script = OPEN4 + ' && cat <&3 >/dev/null; } | { sleep 2; cat; }';
  const chunks: Buffer[] = [];
  await bashCaller(port, token, script, { env: { SPLITCACHE_DIR: dir }, onData: (b) => chunks.push(b) }).ended;
  const got = Buffer.concat(chunks);
  t.equal(got.length, out.length + 24, 'every byte came');
  t.ok(got.subarray(0, out.length).equals(out), 'its stdout');
  t.equal(got.subarray(out.length).toString(), 'warning: the last words\n', 'then its stderr');
});

// A caller's output must be a pipe or a terminal (procCaller.ts): a file opened anew through /proc
// would be written from its start, over what it held. Its stderr, opened already, is closed again.
t.test('a caller whose stdout is a file is declined, its file untouched and its stderr pipe let go', async (t) => {
  const hit = { action: 'hit', token: 'tk', stdout: Buffer.from('a hit\'s output\n'), stderr: Buffer.alloc(0), code: 0 };
  const { dir, port, token } = await server(t, 0, undefined, hit);
  const file = join(dir, 'build.log');
  const script = '{ exec 4>&1 5>&2 3<>"/dev/tcp/127.0.0.1/$1" && echo an earlier line >&1 && printf "%s\\0" sc-exec/4 "$2" $BASHPID 4 5 "" 1 rustc >&3 && cat <&3 >&2; } 2>&1 >>"$3" | cat';
  const caller = bashCaller(port, token, script, { arg: file, env: { SPLITCACHE_DIR: dir }, ms: 10_000 });
  const ended = await caller.ended;
  const said = caller.said();
  t.equal(said, 'ok\nfallback\n', 'declined: the node client serves it');
  t.equal(readFileSync(file, 'utf8'), 'an earlier line\n', 'the file as it was');
  t.ok(ended, 'its stderr, a pipe, ended with the call');
});

// A caller of /8 and later proves its pid by its stat line: a process here of that pid that started
// at another clock tick is another process (a pid reused, or another pid namespace's), and declined.
t.test("a caller's stat line must name the start of the process its pid is here", async (t) => {
  const { dir, port, token } = await server(t);
  const ask = async (tick: string) => {
    const script = [
      '{ exec 2>&1 4>&1 5>&2 3<>"/dev/tcp/127.0.0.1/$1" && read -r st </proc/$BASHPID/stat && pre=${st%)*} && a=(${st##*) }) &&',
      'if [ -n "$3" ]; then a[19]=$3; fi && printf "%s\\0" sc-exec/10 "$2" $BASHPID 4 5 "" 3 "$pre) ${a[*]}" 1 rustc >&3 && cat <&3; } | cat',
    ].join(' ');
    const caller = bashCaller(port, token, script, { arg: tick, env: { SPLITCACHE_DIR: dir } });
    await caller.ended;
    const said = caller.said();
    return said;
  };
  t.equal(await ask(''), 'ok\nplain\n', 'its own stat line: served');
  t.equal(await ask('1'), 'ok\nfallback\n', 'one of another start: declined');
});

// A process rustc left behind holds the connection, and may write after the call has ended and closed
// the caller's descriptors: those bytes go nowhere. Written as stderr, they went to whatever had taken
// the closed descriptor's number by then: another call's pipe, or a file (here, the test's own).
t.test("bytes that come after a call has ended go to no descriptor that took the caller's number", async (t) => {
  const run = { action: 'run', token: 'tk', args: ['--version'], bootstrap: false };
  const { dir, port, token, runs } = await server(t, 0, undefined, run);
  const script = [
    OPEN10 + ' &&',
    'while IFS= read -r l <&3; do echo "[$l]"; case $l in "run tee "*) a=($l); : >"$3/${a[3]}.out"; printf "\\0%s ran 0 tee\\n" "${a[4]}" >&3;;',
    '"exit "*) sleep 1; echo left behind >&3;; esac; done; } | cat',
  ].join(' ');
  const files: number[] = [];
  const caller = bashCaller(port, token, script, {
    arg: runs,
    env: { SPLITCACHE_DIR: dir },
    // The call has ended: descriptors opened now take the lowest numbers free, the caller's among them.
    onData: () => {
      if (files.length === 0 && caller.said().includes('[exit ')) for (let i = 0; i < 20; i++) files.push(openSync(join(dir, `f${i}`), 'w'));
    },
  });
  await caller.ended;
  const said = caller.said();
  await new Promise((r) => setTimeout(r, 300));
  files.forEach((fd) => closeSync(fd));
  t.match(said, /\[exit 0\]\n$/, 'the call ended well');
  t.equal(files.length, 20);
  const written = files.map((_, i) => readFileSync(join(dir, `f${i}`), 'utf8')).join('');
  t.equal(written, '', 'nothing came into the files opened since');
});

/** Resolves once `cond()` holds, or `ms` have passed: a wait for a condition, not a sleep. */
async function until(cond: () => boolean, ms = 30_000): Promise<void> {
  for (const end = Date.now() + ms; !cond() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
}

// Once a run is answered, the caller waits on the daemon again (a miss's store, the stores of the
// build's last call): it must hear `alive` meanwhile. With the run's wait kept after its answer
// (mutation C17), a caller whose last run was quiet heard nothing, and after 10 s took the working
// daemon for hung and killed it. The daemon's work here (its `done`) lasts until the caller has heard
// two, or 30 s.
t.test('a caller hears `alive` again while the daemon works after its run was answered', async (t) => {
  let said = '';
  const heardSince = () => said.slice(said.indexOf('[answered]')).split('\n').filter((l) => l === '[alive]').length;
  const done = () => until(() => said.includes('[answered]') && heardSince() >= 2).then(() => ({}));
  const run = { action: 'run', token: 'tk', args: ['--version'], bootstrap: false };
  const { dir, port, token, runs } = await server(t, 0, undefined, run, done);
  // A caller of /4 (no tee runs: a miss runs quiet), answering its run at once.
  const script = [
    OPEN4 + ' &&',
    'while IFS= read -r l <&3; do echo "[$l]"; case $l in "run quiet "*) a=($l); : >"$3/${a[3]}.out"; : >"$3/${a[3]}.err"; echo "[answered]"; echo "ran 0 quiet" >&3;; esac; done; } | cat',
  ].join(' ');
  const caller = bashCaller(port, token, script, { arg: runs, env: { SPLITCACHE_DIR: dir }, onData: () => (said = caller.said()) });
  await caller.ended;
  t.match(said, /^\[ok\]\n(\[alive\]\n)*\[run quiet 0 \S+\]\n\[answered\]\n/, `a quiet run, answered (${JSON.stringify(said)})`);
  t.ok(heardSince() >= 2, '`alive` while the daemon stored the run');
  t.match(said, /\[exit 0\]\n$/, 'and the call ended well');
});

// Bytes that come on an /10 caller's connection after a run's answer, while the call still goes on,
// are a process's that rustc left behind: they go to the caller's stderr, as they would without
// splitcache (mutation C06 dropped them). The daemon's work after the run lasts until they have come
// out, or 30 s: no race with the end of the call, after which they go nowhere (the test above).
t.test("stderr that comes after a run's answer, while the call goes on, reaches the caller's stderr", async (t) => {
  let said = '';
  const done = () => until(() => said.includes('left behind')).then(() => ({}));
  const run = { action: 'run', token: 'tk', args: ['--version'], bootstrap: false };
  const { dir, port, token, runs } = await server(t, 0, undefined, run, done);
  const script = [
    OPEN10 + ' &&',
    'while IFS= read -r l <&3; do echo "[$l]"; case $l in "run tee "*) a=($l); : >"$3/${a[3]}.out"; printf "\\0%s ran 0 tee\\n" "${a[4]}" >&3; echo left behind >&3;; esac; done; } | cat',
  ].join(' ');
  const caller = bashCaller(port, token, script, { arg: runs, env: { SPLITCACHE_DIR: dir }, onData: () => (said = caller.said()) });
  await caller.ended;
  t.match(said, /\[run tee 0 \S+ \S+\]\n/, `a tee run (${JSON.stringify(said)})`);
  t.match(said, /^left behind$/m, "what came after its answer was relayed to the caller's stderr");
  t.match(said, /\[exit 0\]\n$/, 'and the call ended well');
});

// A hit's stdout goes to the caller's stdout and its stderr to its stderr, two pipes here (`err: `
// marks the stderr's lines): both were written to stderr under mutation C05, and the tests that
// merged the two did not see it (a proc-macro's println! at compile time is rustc's stdout).
t.test("a hit's stdout and stderr reach the caller's stdout and stderr, each its own", async (t) => {
  const hit = { action: 'hit', token: 'tk', stdout: Buffer.from('printed at compile time\n'), stderr: Buffer.from('warning: a warning\n'), code: 0 };
  const { dir, port, token } = await server(t, 0, undefined, hit);
  const script = '{ { exec 4>&1 5>&2 3<>"/dev/tcp/127.0.0.1/$1" && printf "%s\\0" sc-exec/4 "$2" $BASHPID 4 5 "" 1 rustc >&3 && cat <&3 >/dev/null; } 2>&1 >&6 | sed "s/^/err: /"; } 6>&1 | cat';
  const caller = bashCaller(port, token, script, { env: { SPLITCACHE_DIR: dir } });
  await caller.ended;
  const said = caller.said();
  t.same(said.split('\n').sort(), ['', 'err: warning: a warning', 'printed at compile time'], `each on its own (${JSON.stringify(said)})`);
});

// An answer longer than any `ran <code> <how>` with no newline yet (a caller gone wrong) fails the
// call at once: the caller sees its connection end, and builds plainly. Waiting for a newline
// (mutation C07), the call hung, its caller kept waiting by the empty lines of a tee run.
t.test('an answer too long for one, its line not ended, fails the call at once', async (t) => {
  const run = { action: 'run', token: 'tk', args: ['--version'], bootstrap: false };
  const { dir, port, token, runs } = await server(t, 0, undefined, run);
  const script = [
    OPEN10 + ' &&',
    'while IFS= read -r l <&3; do echo "[$l]"; case $l in "run tee "*) a=($l); : >"$3/${a[3]}.out"; printf "\\0%s ran 0 tee%0100d" "${a[4]}" 0 >&3;; esac; done; } | cat',
  ].join(' ');
  const caller = bashCaller(port, token, script, { arg: runs, env: { SPLITCACHE_DIR: dir }, ms: 20_000 });
  const ended = await caller.ended;
  const said = caller.said();
  t.ok(ended, 'the connection ended');
  t.match(said, /^\[ok\]\n(\[alive\]\n)*\[run tee 0 \S+ \S+\]\n(\[\]\n)*$/, `with no exit code: the caller builds plainly (${JSON.stringify(said)})`);
});

// A line for the user goes to the caller's stderr, unless the caller's SPLITCACHE_LOG is `quiet`:
// mutation C18 ignored it, and no test of the switch went through a warning on the exec port.
t.test("a call's warning reaches the caller's stderr, and none under SPLITCACHE_LOG=quiet", async (t) => {
  const plan = { action: 'passthrough', reason: 'test', warning: 'SPLITCACHE_TEST: a word for the user' };
  const { dir, port, token } = await server(t, 0, undefined, plan);
  const script = OPEN4 + ' && cat <&3; } | cat';
  for (const log of ['', 'quiet']) {
    const caller = bashCaller(port, token, script, { env: { SPLITCACHE_DIR: dir, SPLITCACHE_LOG: log } });
    await caller.ended;
    const said = caller.said();
    const lines = said.split('\n').filter((l) => l !== 'ok' && l !== 'alive' && l !== '').sort();
    t.same(lines, log === 'quiet' ? ['plain'] : ['plain', 'splitcache: SPLITCACHE_TEST: a word for the user'], `SPLITCACHE_LOG=${log} (${JSON.stringify(said)})`);
  }
});

// A caller must be a process of the daemon's own user: another user's, though it had the token
// (exec.port is the owner's alone), is sent to the node client (mutation P04 served it).
const root = process.getuid?.() === 0;
t.test("another user's process, with the token, is declined", { skip: !root && 'needs root, to run a caller as nobody' }, async (t) => {
  const { dir, port, token } = await server(t);
  const script = OPEN4 + ' && cat <&3; } | cat';
  const ask = async (uid?: number) => {
    const caller = bashCaller(port, token, script, { env: { SPLITCACHE_DIR: dir }, spawn: { cwd: '/', ...(uid === undefined ? {} : { uid, gid: uid }) } });
    await caller.ended;
    return caller.said();
  };
  t.equal(await ask(), 'ok\nplain\n', "the daemon's own user: served");
  t.equal(await ask(65534), 'ok\nfallback\n', 'nobody: declined');
});
