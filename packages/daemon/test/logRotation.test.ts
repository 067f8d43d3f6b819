import t from 'tap';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogRotation } from '../src/logRotation.js';

// daemon.log is the daemon's stderr, appended to for the life of the store: a daemon
// that lives for weeks under SPLITCACHE_LOG=debug must not grow it without end.

t.test('a log written through for far more than its bound stays within it, its last lines kept in <log>.1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-logrot-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'daemon.log');
  const fd = openSync(path, 'a');
  t.teardown(() => closeSync(fd));
  const rotation = new LogRotation(path, 4096, fd);
  let largest = 0;
  for (let i = 0; i < 2000; i++) {
    const line = `2026-12-03T13:00:00.000Z debug hit crate_${i} lib (local)\n`;
    writeSync(fd, line);
    rotation.wrote(line.length);
    largest = Math.max(largest, statSync(path).size);
  }
  t.ok(largest <= 4096 + 4096 / 16 + 100, `daemon.log was at most ${largest} bytes after ~100 KB written (bound 4096)`);
  t.ok(existsSync(`${path}.1`), 'the lines moved aside are in daemon.log.1');
  t.ok(statSync(`${path}.1`).size <= 4096 + 4096 / 16 + 100, 'which is bounded too (one generation)');
  const next = '2026-12-03T13:00:01.000Z debug the line after\n';
  writeSync(fd, next);
  t.ok(readFileSync(path, 'utf8').endsWith(next), 'a line written after lands in daemon.log');
  t.match(readFileSync(path, 'utf8').split('\n')[0], /^2026-\S+ debug /, 'which starts with a whole line');
});

t.test('a stderr that is not the named log is left alone', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-logrot-other-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const fd = openSync(join(dir, 'elsewhere.log'), 'a');
  t.teardown(() => closeSync(fd));
  writeSync(fd, 'x'.repeat(10_000));
  new LogRotation(join(dir, 'daemon.log'), 4096, fd).check();
  t.equal(statSync(join(dir, 'elsewhere.log')).size, 10_000);
  t.notOk(existsSync(join(dir, 'daemon.log.1')));
  // Nor when a daemon.log is there too (another daemon's, or one a user made): the file stderr is
  // can't be told apart from it by its path, and truncating it would lose what is in the other.
  writeFileSync(join(dir, 'daemon.log'), 'y'.repeat(100));
  new LogRotation(join(dir, 'daemon.log'), 4096, fd).check();
  t.equal(statSync(join(dir, 'elsewhere.log')).size, 10_000, 'the stderr file is untouched');
  t.equal(statSync(join(dir, 'daemon.log')).size, 100, 'and so is daemon.log');
  t.notOk(existsSync(join(dir, 'daemon.log.1')));
});

t.test("the daemon's logger keeps its stderr log within the bound as it writes", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-logrot-logger-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'daemon.log');
  const src = (name: string) => JSON.stringify(new URL(`../src/${name}.js`, import.meta.url).href);
  // A daemon of its own (stderr is daemon.log) logging ~100 KB under a bound of 4096 bytes.
  const script = `const { makeLogger } = await import(${src('log')}); const { LogRotation } = await import(${src('logRotation')});
    const log = makeLogger('debug', new LogRotation(${JSON.stringify(path)}, 4096));
    for (let i = 0; i < 2000; i++) log.debug('hit crate_' + i + ' lib (local)');`;
  const fd = openSync(path, 'a');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', fd] });
  closeSync(fd);
  t.equal(r.status, 0);
  t.ok(statSync(path).size <= 4096 + 4096 / 16 + 200, `daemon.log is ${statSync(path).size} bytes (bound 4096)`);
  t.ok(existsSync(`${path}.1`), 'its earlier lines in daemon.log.1');
  t.match(readFileSync(path, 'utf8'), /crate_1999 /, 'the last line is in daemon.log');
});

t.test('a log of non-ASCII lines (paths in other scripts) is held to its bound in bytes, not characters', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-logrot-utf8-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'daemon.log');
  const src = (name: string) => JSON.stringify(new URL(`../src/${name}.js`, import.meta.url).href);
  // Each line ~650 bytes in ~250 characters: counted as characters, the log was looked at every
  // other line rather than after each, and grew past its bound by two lines before it rotated.
  const script = `const { makeLogger } = await import(${src('log')}); const { LogRotation } = await import(${src('logRotation')});
    const log = makeLogger('debug', new LogRotation(${JSON.stringify(path)}, 4096));
    for (let i = 0; i < 100; i++) log.debug('hit /home/' + '€'.repeat(200) + '/crate_' + String(i).padStart(4, '0'));`;
  const fd = openSync(path, 'a');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', fd] });
  closeSync(fd);
  t.equal(r.status, 0);
  const line = Buffer.byteLength(readFileSync(path, 'utf8').split('\n')[0]!) + 1;
  t.ok(line > 600 && line < 700, `a line is ${line} bytes`);
  // What daemon.log.1 holds is the log as it was when it was found past its bound.
  const moved = statSync(`${path}.1`).size;
  t.ok(moved <= 4096 + 4096 / 16 + line, `daemon.log grew to ${moved} bytes before it rotated (bound 4096, looked at every 256 bytes written)`);
});
