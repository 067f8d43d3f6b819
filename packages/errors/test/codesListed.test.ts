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

// docs/RELIABILITY.md tells, for each fault, what happens: every code has a place there, by its
// name or under a family's wildcard (`SPLITCACHE_RLINK_*`), and each family it names has a code.
const reliability = readFileSync(new URL('../../docs/RELIABILITY.md', here), 'utf8');
const named = new Set([...reliability.matchAll(/SPLITCACHE_[A-Z0-9_]+\*?/g)].map((m) => m[0]));
const families = [...named].filter((n) => n.endsWith('_*')).map((n) => n.slice(0, -1));
const codes = defined.filter((code): code is string => code !== undefined);
const missing = codes.filter((code) => !named.has(code) && !families.some((f) => code.startsWith(f)));
t.same(missing, [], 'docs/RELIABILITY.md names every code, or its family');
for (const f of families) t.ok(codes.some((code) => code.startsWith(f)), `the family ${f}* has a code`);
