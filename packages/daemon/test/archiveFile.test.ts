import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// readArchiveFile reads a library's ar headers (a thin archive's members; bundledUnkeyed.ts's
// member names, for a file only `-l static:-bundle=` or `-l dylib=` names, which rustc never opens
// for a lib). A FIFO under such a name blocked a plain open until a writer came, holding the
// daemon's thread; a link to /dev/zero opened and was read as a file. Each is run in a child with a
// deadline (SIGKILL: node takes SIGTERM on its blocked loop), as a blocked open would hold this process too.
const moduleUrl = pathToFileURL(join(import.meta.dirname, '..', 'src', 'archiveFile.js')).href;

function readIn(path: string): { status: number | null; out: string } {
  const script = `import { readArchiveFile } from ${JSON.stringify(moduleUrl)};\n` +
    `const r = readArchiveFile(${JSON.stringify(path)}, (readAt, size) => ({ size, magic: readAt(0, 8).toString('latin1') }));\n` +
    'process.stdout.write(JSON.stringify(r ?? null));\n';
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000, killSignal: 'SIGKILL', encoding: 'utf8' });
  return { status: r.status, out: r.stdout };
}

t.test('a FIFO or a device under a library name is no archive, and is read without waiting', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'archive-file-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'libreal.a'), '!<arch>\n');
  t.equal(spawnSync('mkfifo', [join(dir, 'libpipe.a')]).status, 0, 'mkfifo');
  symlinkSync('/dev/zero', join(dir, 'libzero.a'));

  const real = readIn(join(dir, 'libreal.a'));
  t.same([real.status, JSON.parse(real.out || 'false')], [0, { size: 8, magic: '!<arch>\n' }], 'a regular file is read');
  for (const name of ['libpipe.a', 'libzero.a']) {
    const r = readIn(join(dir, name));
    t.same([r.status, r.out], [0, 'null'], `${name}: undefined, at once (a blocked open is killed at 10 s: status null)`);
  }
});
