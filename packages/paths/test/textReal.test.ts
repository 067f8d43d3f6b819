import t from 'tap';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrefixTable } from '../src/index.js';
import { buildHelloRlink, findToolchain } from './realRlink.js';

const stable = findToolchain('stable');
if (stable === undefined) throw new Error('these tests need the stable toolchain (rustup run stable rustc)');
const r = buildHelloRlink(stable);
t.teardown(() => rmSync(r.dir, { recursive: true, force: true }));
const table = new PrefixTable([
  { name: 'workspace', path: r.dir },
  { name: 'out_dir', path: r.outDir },
  { name: 'sysroot', path: stable.sysroot },
]);

/** rustc's diagnostics for a file with an unused variable, at an absolute path. */
function diagnostics(args: string[]): string {
  const file = join(r.dir, 'warn.rs');
  writeFileSync(file, 'fn main() { let x = 1; }\n');
  const run = spawnSync(stable!.rustc, [...args, '--crate-type', 'bin', '--emit=metadata', '--out-dir', r.outDir, file], {
    cwd: r.dir,
    encoding: 'utf8',
  });
  return run.stderr;
}

t.test('real dep-info normalises fully and expands back byte for byte', async (t) => {
  t.ok(r.depInfo.includes(r.dir), 'rustc wrote absolute paths');
  const n = table.normaliseText(r.depInfo);
  t.notOk(n.includes(r.dir));
  t.match(n, /^@@sc:out_dir@@\/hello\.d: @@sc:workspace@@\/main\.rs$/m);
  t.equal(table.expandText(n), r.depInfo);
});

t.test('real JSON diagnostics with rendered ANSI normalise fully, stay JSON, expand back', async (t) => {
  const text = diagnostics(['--error-format=json', '--json=diagnostic-rendered-ansi']);
  t.match(text, /\\u001b\[0m\//, 'rustc puts an ANSI reset right before the path');
  const n = table.normaliseText(text);
  t.notOk(n.includes(r.dir), 'including the path right after the ANSI reset');
  const lines = n.trim().split('\n').map((l) => JSON.parse(l) as { rendered?: string; spans?: { file_name: string }[] });
  t.equal(lines[0]?.spans?.[0]?.file_name, '@@sc:workspace@@/warn.rs');
  t.match(lines[0]?.rendered, /--> \u001b\[0m@@sc:workspace@@\/warn\.rs:1:17/);
  t.equal(table.expandText(n), text);
});

t.test('real human diagnostics with raw ANSI codes normalise fully and expand back', async (t) => {
  const text = diagnostics(['--color=always']);
  t.ok(text.includes('\u001b[0m' + r.dir), 'an ANSI reset right before the path');
  const n = table.normaliseText(text);
  t.notOk(n.includes(r.dir));
  t.equal(table.expandText(n), text);
});
