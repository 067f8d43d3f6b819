import { readFileSync } from 'node:fs';
import t from 'tap';

// The README's table of codes is what a user reads on meeting one: it must name every code the
// package defines, each once, and no code that is gone.
const here = new URL('../../', import.meta.url);
const source = readFileSync(new URL('src/index.ts', here), 'utf8');
const readme = readFileSync(new URL('README.md', here), 'utf8');

const union = source.slice(source.indexOf('export type ErrorCode'), source.indexOf(';', source.indexOf('export type ErrorCode')));
const defined = [...union.matchAll(/'(SPLITCACHE_[A-Z0-9_]+)'/g)].map((m) => m[1]);
const table = readme.slice(readme.indexOf('## Codes'));
const listed = [...table.matchAll(/^\| `(SPLITCACHE_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]);

t.ok(defined.length >= 40, `ErrorCode read from src/index.ts (${defined.length} codes)`);
t.same([...listed].sort(), [...defined].sort(), 'the README lists every code of ErrorCode, and only those');
t.equal(new Set(listed).size, listed.length, 'no code is listed twice');
for (const row of table.split('\n').filter((l) => l.startsWith('| `SPLITCACHE_'))) {
  t.equal(row.split(' | ').length, 3, `three filled columns: ${row.slice(0, 40)}`);
}
