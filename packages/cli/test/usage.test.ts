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
