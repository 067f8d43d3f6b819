import t from 'tap';
import { Store } from './helpers.js';

// `splitcache --help` names every command the CLI runs (cli.ts) and each
// `server` subcommand (commands/server.ts).
const COMMANDS = ['cargo', 'stats', 'audit', 'gc', 'explain', 'report', 'server', 'serve'];
const SERVER = ['start', 'status', 'stop'];

t.test('--help names every command and every server subcommand', async (t) => {
  const help = await new Store().splitcache(['--help']);
  t.equal(help.code, 0, '--help exits 0');
  for (const cmd of COMMANDS) t.match(help.stdout, new RegExp(`^ {2}splitcache ${cmd}\\b`, 'm'), `names ${cmd}`);
  const server = /^ {2}splitcache server (\S+)/m.exec(help.stdout)?.[1] ?? '';
  t.same(server.split('|').sort(), SERVER, `the server line lists ${SERVER.join(', ')}`);
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
  t.match((await store.splitcache(['-V'])).stdout, /^splitcache \d+\.\d+\.\d+\n$/, '-V prints the version');
  const unknown = await store.splitcache(['--frobnicate']);
  t.equal(unknown.code, 2, 'an unknown option exits 2');
  t.match(unknown.stderr, /^splitcache: unknown option '--frobnicate'\n/, 'and says so, where it used to try to run it as a compiler');
});
