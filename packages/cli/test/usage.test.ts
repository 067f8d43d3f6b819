import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOk, BIN, printingCrate, printingCrateArgs, ROOT, runOnPipes, Store, tempDir } from './helpers.js';

// `splitcache --help` names every command the CLI runs (cli.ts) and each
// `server` subcommand (commands/server.ts).
const COMMANDS = ['cargo', 'stats', 'audit', 'gc', 'clear', 'explain', 'report', 'server', 'serve'];
const SERVER = ['start', 'status', 'stop'];

t.test('--help names every command and every server subcommand', async (t) => {
  const help = await new Store().splitcache(['--help']);
  t.equal(help.code, 0, '--help exits 0');
  for (const cmd of COMMANDS) t.match(help.stdout, new RegExp(`^ {2}splitcache ${cmd}\\b`, 'm'), `names ${cmd}`);
  // `splitcache verify` runs `audit verify` (cli.ts): named too, or a user who reads of it elsewhere can't tell it exists.
  t.match(help.stdout, /\bsplitcache verify\b/, 'names verify, the short spelling of audit verify');
  const server = /^ {2}splitcache server (\S+)/m.exec(help.stdout)?.[1] ?? '';
  t.same(server.split('|').sort(), SERVER, `the server line lists ${SERVER.join(', ')}`);
  // The flags that choose what a command answers; the rest, its own --help describes.
  for (const [cmd, flag] of [['audit', '--origin'], ['explain', '--type'], ['explain', '--json'], ['gc', '--json'], ['serve', '--max-body']]) {
    t.match(help.stdout, new RegExp(`^ {2}splitcache ${cmd}\\b.*${flag}\\b`, 'm'), `the ${cmd} line names ${flag}`);
  }
});

t.test("sccache's and ccache's spellings run the commands they mean; an unknown option is said to be one", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  for (const flag of ['-s', '--show-stats']) {
    const r = await store.splitcache([flag, '--json']);
    t.equal(r.code, 0, `${flag} exits 0`);
    t.equal(JSON.parse(r.stdout).dir, store.dir, `${flag} --json prints the stats of this store`);
  }
  for (const flag of ['-z', '--zero-stats']) {
    const r = await store.splitcache([flag]);
    t.equal(r.code, 0, `${flag} exits 0`);
    t.match(r.stdout + r.stderr, /zero/i, `${flag} zeroes the counters`);
  }
  const started = await store.splitcache(['--start-server']);
  t.equal(started.code, 0, '--start-server exits 0');
  t.match((await store.splitcache(['server', 'status'])).stdout, /running|pid/i, 'and the daemon runs');
  const stopped = await store.splitcache(['--stop-server']);
  t.equal(stopped.code, 0, '--stop-server exits 0');
  t.match(stopped.stdout, /stopped/, 'and stops it');
  t.match((await store.splitcache(['-V'])).stdout, /^splitcache \d+\.\d+\.\d+ \(.*cache format \d+\)\n$/, '-V prints the version');
  // A stray argument is a usage error here as for every command: these printed the version, exit 0.
  for (const args of [['--version', 'extra'], ['-V', '--json']]) {
    const stray = await store.splitcache(args);
    t.equal(stray.code, 2, `${args.join(' ')} exits 2`);
    t.equal(stray.stderr, `splitcache: ${args[0]} takes no arguments, not '${args[1]}' (see \`splitcache --help\`)\n`, `${args.join(' ')} says so in one line`);
    t.equal(stray.stdout, '', `${args.join(' ')} prints no version`);
  }
  // sccache's spellings with no alias here point to what does it.
  for (const [args, instead] of [[['--stats-format=json'], 'stats --json'], [['--stats-format', 'json'], 'stats --json'], [['--show-adv-stats'], 'stats']] as const) {
    const r = await store.splitcache([...args]);
    t.equal(r.code, 2, `${args.join(' ')} exits 2`);
    t.equal(r.stderr, `splitcache: unknown option '${args[0]}' (sccache's; here: \`splitcache ${instead}\`)\n`, `${args.join(' ')} points to splitcache ${instead}`);
  }
  for (const flag of ['--frobnicate', '-x']) {
    const unknown = await store.splitcache([flag]);
    t.equal(unknown.code, 2, `an unknown option, ${flag}, exits 2`);
    // It used to try to run it as a compiler, and then printed the whole usage after this line.
    t.equal(unknown.stderr, `splitcache: unknown option '${flag}' (see \`splitcache --help\`)\n`, 'and says so in one line, and where to look');
    t.equal(unknown.stdout, '', 'and prints nothing else');
  }
});

// Each subcommand's --help, and the flags its usage must name.
const HELP: [string[], string[]][] = [
  [['stats'], ['--json', '--session', '--crate', '--since', '--origin', '--zero']],
  [['audit'], ['--json', '--session', '--crate', '--since', '--origin']],
  [['audit', 'verify'], ['--json']],
  [['gc'], ['--max-size', '--evict-older-than', '--json']],
  [['explain'], ['--session', '--type', '--json']],
  [['clear'], ['--json']],
  [['report'], ['--html', '--since', '--session']],
  [['server'], ['start', 'stop', 'status']],
  [['serve'], ['--dir', '--listen', '--tokens', '--max-size', '--max-body', '--access-log']],
];

t.test("README.md's command table names every flag each command's --help describes", async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  // Each row's first cell (`splitcache audit [--json] …`, `\|` in `start\|stop\|status`), by the command it names.
  const rows = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/^\| `splitcache ((?:[^|\\]|\\.)*)\|/gm)].map((m) => m[1]!);
  for (const [cmd, flags] of HELP) {
    const own = rows.filter((r) => r.startsWith(`${cmd.join(' ')} `) && (cmd.length > 1 || !r.startsWith(`${cmd[0]} verify`)));
    t.ok(own.length > 0, `README.md has a row for ${cmd.join(' ')}`);
    const usage = (await store.splitcache([...cmd, '--help'])).stdout;
    for (const flag of usage.match(/^ {2}--[a-z-]+/gm)?.map((f) => f.trim()) ?? flags) {
      t.ok(own.some((r) => new RegExp(`${flag}\\b`).test(r)), `README.md's ${cmd.join(' ')} row names ${flag}`);
    }
  }
});

t.test('every subcommand takes --help and -h: its own usage on stdout, exit 0, and nothing runs', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  for (const [cmd, flags] of HELP) {
    for (const help of ['--help', '-h']) {
      const line = [...cmd, help].join(' ');
      const r = await store.splitcache([...cmd, help]);
      t.equal(r.code, 0, `${line} exits 0`);
      t.equal(r.stderr, '', `${line} says nothing on stderr`);
      t.match(r.stdout, new RegExp(`^usage: splitcache ${cmd.join(' ')}\\b`), `${line} prints its own usage`);
      for (const flag of flags) t.match(r.stdout, new RegExp(`^ +${flag}\\b`, 'm'), `${line} describes ${flag}`);
    }
  }
  // `splitcache help <command>` is `<command> --help`, as with git and cargo.
  for (const cmd of [['gc'], ['audit', 'verify']]) {
    const viaHelp = await store.splitcache(['help', ...cmd]);
    const direct = await store.splitcache([...cmd, '--help']);
    t.equal(viaHelp.code, 0, `help ${cmd.join(' ')} exits 0`);
    t.equal(viaHelp.stdout, direct.stdout, `help ${cmd.join(' ')} prints what ${cmd.join(' ')} --help prints`);
  }
  // A line of prose that goes on in the next ends a sentence or fills the width: explain's ended at
  // "<crate> is a crate's", 54 characters, and went on below.
  for (const [cmd] of HELP) {
    const lines = (await store.splitcache([...cmd, '--help'])).stdout.split('\n');
    const cut = lines.filter((l, i) => !/^(usage:| )/.test(l) && /^[^ ]/.test(lines[i + 1] ?? '') && l.length < 80 && !/[.:)]$/.test(l));
    t.same(cut, [], `${cmd.join(' ')} --help wraps its lines at sentence ends or the full width`);
  }
  // No command at all is a usage error: its usage goes to stderr, as every usage error's line does.
  const bare = await store.splitcache([]);
  t.equal(bare.code, 2, 'splitcache with no arguments exits 2');
  t.equal(bare.stdout, '', 'and prints nothing on stdout');
  t.match(bare.stderr, /^usage:\n {2}splitcache <rustc>/, 'but its usage on stderr');
  const noCommand = await store.splitcache(['help', 'bogus']);
  t.equal(noCommand.code, 2, 'help of no command: a usage error');
  t.equal(noCommand.stderr, "splitcache: unknown command 'bogus' (see `splitcache --help`)\n", 'in one line');
  // gc, audit verify, stats, audit, explain and report start the daemon when they run; serve would listen.
  t.same(readdirSync(store.dir), [], 'no command ran: no daemon was started in the store');
});

t.test('an unknown flag, a flag without its value or a stray argument is a usage error, and nothing runs', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const serveDir = tempDir('serve');
  const WRONG: [string[], string, string][] = [
    [['stats', '--bogus'], 'stats', "unknown option '--bogus'"],
    [['-s', '--bogus'], 'stats', "unknown option '--bogus'"],
    [['stats', 'now'], 'stats', "unexpected argument 'now'"],
    [['stats', '--zero', '--json'], 'stats', '--zero takes no other option'],
    [['audit', '--since'], 'audit', '--since needs a value'],
    [['audit', '--bogus=1'], 'audit', "unknown option '--bogus'"],
    [['audit', 'verify', '--bogus'], 'audit verify', "unknown option '--bogus'"],
    [['gc', '--max-size'], 'gc', '--max-size needs a value'],
    [['gc', '--max-size', '--json'], 'gc', '--max-size needs a value'],
    [['gc', '--json=yes'], 'gc', '--json takes no value'],
    [['gc', 'now'], 'gc', "unexpected argument 'now'"],
    [['explain', 'fx-util', '--bogus'], 'explain', "unknown option '--bogus'"],
    [['explain', 'fx-util', 'fx-core'], 'explain', "unexpected argument 'fx-core'"],
    [['explain'], 'explain', 'name the crate to explain'],
    // It said the crate had no recorded miss, as if there were no type to doubt.
    [['explain', 'fx-core', '--type', 'bogus'], 'explain', "--type 'bogus' is no crate type: lib, rlib, staticlib, bin, proc-macro, dylib, cdylib, test or build-script (lib+cdylib for both, clippy:lib for cargo clippy's)"],
    [['explain', 'fx-core', '--type=fmt:lib'], 'explain', "--type 'fmt:lib' is no crate type: lib, rlib, staticlib, bin, proc-macro, dylib, cdylib, test or build-script (lib+cdylib for both, clippy:lib for cargo clippy's)"],
    [['report', '--html', join(serveDir, 'r.html'), '--bogus'], 'report', "unknown option '--bogus'"],
    [['server', 'status', '--bogus'], 'server', "unknown option '--bogus'"],
    [['server', 'start', 'now'], 'server', "unexpected argument 'now'"],
    [['server', 'restart'], 'server', "unknown server command 'restart': start, stop or status"],
    [['serve', '--dir', serveDir, '--listen', '127.0.0.1:0', '--bogus'], 'serve', "unknown option '--bogus'"],
  ];
  for (const [args, cmd, problem] of WRONG) {
    const r = await store.splitcache(args);
    const line = args.join(' ');
    t.equal(r.code, 2, `${line} exits 2`);
    t.equal(r.stdout, '', `${line} prints nothing on stdout`);
    t.equal(r.stderr, `splitcache ${cmd}: ${problem} (see \`splitcache ${cmd} --help\`)\n`, `${line}: one line naming what is wrong, and where to look`);
  }
  t.same(readdirSync(store.dir), [], 'no command ran: no daemon was started in the store');
  t.same(readdirSync(serveDir), [], 'and no server made its store');
});

t.test('--since takes an age, an ISO date or time, or ms; stats, audit and report refuse anything else alike, before they run', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const page = join(tempDir('report'), 'r.html');
  for (const [cmd, args] of [
    ['stats', ['stats', '--since', 'yesterday']],
    ['stats', ['stats', '--json', '--since=3x']],
    ['audit', ['audit', '--since', '3x']],
    ['report', ['report', '--html', page, '--since', 'yesterday']],
    // Date.parse read these as 2001-12-01, 2001-05-01 and 2026-03-02.
    ['audit', ['audit', '--since', 'foo 12']],
    ['stats', ['stats', '--since', 'May 1']],
    ['report', ['report', '--html', page, '--since', '2026-02-30']],
    // And Number() these as 16 and 1000.
    ['audit', ['audit', '--since', '0x10']],
    ['stats', ['stats', '--since', '1e3']],
  ] as const) {
    const r = await store.splitcache([...args]);
    const value = args.at(-1)!.replace('--since=', '');
    t.equal(r.code, 2, `${args.join(' ')} exits 2`);
    t.equal(r.stderr, `splitcache ${cmd}: --since '${value}' is neither an age (1h, 7d), an ISO date or time (2026-05-01, 2026-05-01T09:00Z) nor ms since the epoch (see \`splitcache ${cmd} --help\`)\n`, `${args.join(' ')} says so in one line`);
    t.equal(r.stdout, '', 'and prints nothing else');
  }
  t.same(readdirSync(store.dir), [], 'none of them ran: no daemon was started in the store');
  for (const since of ['2020-01-01', '2020-01-01T09:00:00Z', '2020-01-01T09:00', '2020-02-29T09:00:00.5+02:00', '1577869200000']) {
    const audit = await store.splitcache(['audit', '--json', '--since', since]);
    t.equal(audit.code, 0, `audit --since ${since} runs`);
    const stats = await store.splitcache(['stats', '--json', '--since', since]);
    t.equal(stats.code, 0, `stats --since ${since} runs`);
    t.equal((JSON.parse(stats.stdout) as { hits: number }).hits, 0, 'and counts the calls since then (none)');
  }
  // An age counts back from now, as gc's --evict-older-than does.
  const cwd = printingCrate('since an age');
  assertOk(t, await runOnPipes(BIN, ['rustc', ...printingCrateArgs(cwd)], { cwd, env: store.env() }), 'a call is made');
  const within = (await store.splitcache(['stats', '--json', '--since', '1h'])).stdout;
  t.equal((JSON.parse(within) as { misses: number }).misses, 1, 'stats --since 1h counts it');
  t.equal((await store.splitcache(['audit', '--json', '--since', '30m'])).stdout.split('\n').filter(Boolean).length, 1, 'audit --since 30m lists it');
  await new Promise((res) => setTimeout(res, 1_500));
  const later = await store.splitcache(['audit', '--json', '--since', '1s']);
  t.equal(later.code, 0, 'audit --since 1s runs');
  t.equal(later.stdout, '', 'and lists nothing: the call was made before then');
});

t.test('--origin takes local, remote or miss; stats and audit refuse anything else alike, before they run', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  for (const cmd of ['stats', 'audit']) {
    const r = await store.splitcache([cmd, '--origin', 'cache']);
    t.equal(r.code, 2, `${cmd} --origin cache exits 2`);
    t.equal(r.stderr, `splitcache ${cmd}: --origin 'cache' is none of local, remote or miss (see \`splitcache ${cmd} --help\`)\n`, 'and says so in one line');
    t.equal(r.stdout, '', 'and prints nothing else');
  }
  t.same(readdirSync(store.dir), [], 'neither ran: no daemon was started in the store');
  for (const origin of ['local', 'remote', 'miss']) t.equal((await store.splitcache(['stats', '--json', '--origin', origin])).code, 0, `stats --origin ${origin} runs`);
});

t.test('a mistyped command is run as a program (as any wrapper runs its compiler); when there is none, the line says it is no command either', async (t) => {
  const store = new Store();
  t.teardown(() => store.stop());
  const r = await store.splitcache(['status']);
  t.equal(r.code, 127, 'splitcache status exits 127, as a shell does for a missing program');
  // In words, not node's: it said `spawn status ENOENT`.
  t.equal(r.stderr, 'splitcache: cannot run status: no such program, and no splitcache command (`splitcache --help` lists them)\n', 'and says what else it is not');
  const path = await store.splitcache(['/nonexistent/tool', 'x']);
  t.equal(path.stderr, 'splitcache: cannot run /nonexistent/tool: no such file\n', 'a path is no command: no such note');
});
