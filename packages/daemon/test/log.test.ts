import t from 'tap';
import { spawnSync } from 'node:child_process';

// The daemon's logger writes to its stderr (daemon.log): run in a process of its own, its lines read back.

function logged(body: string): string[] {
  const log = JSON.stringify(new URL('../src/log.js', import.meta.url).href);
  const script = `const { makeLogger } = await import(${log}); ${body}`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stderr.split('\n').filter(Boolean);
}

t.test('each level writes what it names: debug also the warnings, quiet nothing', async (t) => {
  const lines = (level: string) => logged(`const log = makeLogger('${level}'); log.warn('a warning'); log.debug('a detail');`).map((l) => l.replace(/^\S+ /, ''));
  t.same(lines('debug'), ['warn a warning', 'debug a detail'], 'debug');
  t.same(lines('warn'), ['warn a warning'], 'warn');
  t.same(lines('quiet'), [], 'quiet');
  t.same(logged(`const log = makeLogger('warn'); log.debugFromNowOn(); log.debug('asked for');`).map((l) => l.replace(/^\S+ /, '')), ['debug asked for'], 'debug lines once a build asks for them');
});

t.test('held (a hung store, where the log is): lines are kept in memory, at most 1000, and written on release', async (t) => {
  const lines = logged(`const log = makeLogger('warn'); log.warn('before'); log.hold(); for (let i = 0; i < 5000; i++) log.warn('held ' + i); process.stderr.write('--release--\\n'); log.release(); log.warn('after');`);
  const at = lines.indexOf('--release--');
  t.equal(at, 1, 'nothing written while held');
  const released = lines.slice(at + 1);
  t.equal(released.length, 1001, 'the first 1000 held lines, then the next');
  t.match(released[0], / warn held 0$/);
  t.match(released[999], / warn held 999$/);
  t.match(released[1000], / warn after$/, 'and lines are written at once again');
});
