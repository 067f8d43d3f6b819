import t from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirs, makeDirsSync } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sc-dirs-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const both = [
  ['makeDirsSync', async (p: string, mode?: number) => makeDirsSync(p, mode)],
  ['makeDirs', makeDirs],
] as const;

for (const [name, make] of both) {
  t.test(`${name}: as mkdir -p`, async (t) => {
    const base = join(dir, name);
    const deep = join(base, 'a', 'b', 'c');
    await make(deep);
    t.ok(statSync(deep).isDirectory(), 'every missing level is made');
    await make(deep);
    t.pass('an existing directory is fine');
    mkdirSync(join(base, 'real'));
    symlinkSync(join(base, 'real'), join(base, 'link'));
    await make(join(base, 'link'));
    await make(join(base, 'link', 'inside'));
    t.ok(existsSync(join(base, 'real', 'inside')), 'a symlink to a directory is one');
    await make(join(base, 'private', 'x'), 0o700);
    t.equal(statSync(join(base, 'private', 'x')).mode & 0o777, 0o700 & ~process.umask(), 'with the mode asked for');
    writeFileSync(join(base, 'file'), '');
    await t.rejects(make(join(base, 'file')), { code: 'EEXIST' }, 'a file in the way');
    await t.rejects(make(join(base, 'file', 'under')), { code: 'ENOTDIR' }, 'a file as a parent');
    symlinkSync(join(base, 'nowhere'), join(base, 'dangling'));
    await t.rejects(make(join(base, 'dangling', 'under')), { code: 'EEXIST', path: join(base, 'dangling') }, 'a dangling symlink as a parent: named');
  });

  t.test(`${name}: a parent that exists but can't hold children ends with ENOENT (Node's own spins forever)`, { skip: !existsSync('/proc/self') && 'no procfs here' }, async (t) => {
    await t.rejects(make(`/proc/splitcache-${process.pid}`), { code: 'ENOENT' }, 'one level');
    await t.rejects(make(`/proc/splitcache-${process.pid}/store/deeper`), { code: 'ENOENT' }, 'several');
  });
}

t.test('makeDirs: many at once, of the same path and of its parents', async (t) => {
  const deep = join(dir, 'race', 'x', 'y', 'z');
  const paths = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? join(dir, 'race', 'x') : deep));
  await Promise.all(paths.map((p) => makeDirs(p)));
  t.ok(statSync(deep).isDirectory(), 'every call ended well, and the path is made');
});

t.test("no source calls Node's recursive mkdir: each goes through makeDirs", async (t) => {
  // Run from packages/store/dist/test: the sources are three levels up, under packages/*/src.
  const packages = join(import.meta.dirname, '..', '..', '..');
  const offenders: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && /\bmkdir(Sync)?\([^)]*recursive/.test(readFileSync(p, 'utf8'))) offenders.push(p);
    }
  };
  for (const pkg of readdirSync(packages)) if (existsSync(join(packages, pkg, 'src'))) walk(join(packages, pkg, 'src'));
  t.ok(readdirSync(packages).length >= 8, 'the packages were found');
  t.same(offenders, [], 'none');
});
