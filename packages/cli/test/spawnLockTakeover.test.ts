import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './helpers.js';

// Calls waiting on a stale spawn lock take it over at about the same moment (each looks every
// 0.5 s, and an empty lock goes stale after 2 s while a build's first calls wait on it). Removed
// and made again by path, the lock one call had just made again was removed by the next, and
// both started a daemon. Each taker here is a process of its own, which takes each round's lock
// (a dir of its own, stale from the start) at the round's instant, as the others do.
const SPAWN_LOCK = fileURLToPath(new URL('../src/spawnLock.js', import.meta.url));
const TAKER = `
const { takeSpawnLock } = await import(process.argv[1]);
const [root, at, rounds, period] = process.argv.slice(2).map((a, i) => (i === 0 ? a : Number(a)));
let out = '';
const nap = new Int32Array(new SharedArrayBuffer(4));
for (let i = 0; i < rounds; i++) {
  // Asleep until a millisecond before the round's instant, then spinning to it: two cores each spun whole.
  const until = at + i * period;
  if (until - Date.now() > 1) Atomics.wait(nap, 0, 0, until - Date.now() - 1);
  while (Date.now() < until);
  const dir = root + '/' + i;
  out += takeSpawnLock(dir + '/daemon.starting', dir, false) ? 'T' : '-';
}
process.stdout.write(out);
`;
const TAKERS = 2;
const ROUNDS = 300;
const PERIOD_MS = 5;

t.test('of the calls that take over a stale spawn lock at one instant, one starts the daemon', async (t) => {
  const root = tempDir('lock-race');
  const old = new Date(Date.now() - 60_000);
  for (let i = 0; i < ROUNDS; i++) {
    mkdirSync(join(root, String(i)));
    writeFileSync(join(root, String(i), 'daemon.starting'), '');
    utimesSync(join(root, String(i), 'daemon.starting'), old, old);
  }
  // Node's start takes ~0.1 s (more on a loaded machine): the first round is well after it.
  const at = Date.now() + 1500;
  const outs = await Promise.all(
    Array.from({ length: TAKERS }, () => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', TAKER, SPAWN_LOCK, root, String(at), String(ROUNDS), String(PERIOD_MS)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      return new Promise<string>((res) => p.on('close', () => res(out)));
    }),
  );
  t.ok(outs.every((o) => o.length === ROUNDS), 'every taker took part in every round');
  const takers = Array.from({ length: ROUNDS }, (_, i) => outs.filter((o) => o[i] === 'T').length);
  const twice = takers.filter((n) => n > 1).length;
  t.equal(twice, 0, `no round had two takers (${twice} of ${ROUNDS} had)`);
  t.equal(takers.filter((n) => n === 0).length, 0, 'and none had none');
  const left = Array.from({ length: ROUNDS }, (_, i) => readdirSync(join(root, String(i))).join(' '));
  t.ok(left.every((l) => l === 'daemon.starting'), 'each round left its lock, and nothing else');
  t.ok(existsSync(join(root, '0', 'daemon.starting')));
});
