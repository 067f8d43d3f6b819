// .ci/failures.mjs ends a failed CI log with the failed tests. CI keeps only the log's last few
// kilobytes: a diff that held one fault's line 14 times (stop 43's) filled them, and the stack
// and the echoed source took the rest. Run on a made-up tap result like that one.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const SCRIPT = path.resolve(import.meta.dirname, '../../.ci/failures.mjs')
const line = '    +  "splitcache: SPLITCACHE_EXEC_RUN: a fault of a call'
const folded = '    (building this call uncached)",'
const tap = [
  '# Subtest: 64 calls',
  '    not ok 1 - none said anything',
  '      ---',
  '      diff: >',
  '        --- expected',
  '        +++ actual',
  '        @@ -1,1 +1,16 @@',
  '        -Array []',
  '        +Array [',
  ...Array.from({ length: 14 }, () => [`    ${line}`, `    ${folded}`]).flat(),
  '        ]',
  '      at:',
  '        fileName: packages/cli/dist/test/reliability.test.js',
  '        lineNumber: 95',
  '        columnNumber: 7',
  '      stack: |',
  '        Test.<anonymous> (packages/cli/dist/test/reliability.test.js:95:7)',
  '      source: >',
  '        the test source, many lines',
  '      ...',
  '    1..1',
  'not ok 1 - 64 calls',
].join('\n')

t.test('a fault repeated in a diff is shown once with its count; no stack, no source', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-failures-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.mkdirSync(path.join(dir, '.tap/test-results/x'), { recursive: true })
  fs.writeFileSync(path.join(dir, '.tap/test-results/x/reliability.test.js.tap'), tap)
  const r = spawnSync(process.execPath, [SCRIPT], { cwd: dir, encoding: 'utf8' })
  t.equal(r.status, 0)
  const out = r.stdout.split('\n')
  t.equal(out[0], 'FAILED x/reliability.test.js.tap: 64 calls > none said anything')
  t.equal(out.filter((l) => l.includes('a fault of a call')).length, 1, 'the line once')
  t.ok(out.includes('    (the 2 lines above 13 more times)'), `with its count:\n${r.stdout}`)
  t.ok(out.includes('  at: packages/cli/dist/test/reliability.test.js:95'), 'where, on one line')
  t.notOk(/Test\.<anonymous>|test source/.test(r.stdout), 'no stack, no source')
  t.equal(out.at(-2), '1 failed test(s) listed above')
  t.ok(r.stdout.length < 700, `short: ${r.stdout.length} characters`)
})
