// The benchmark report is generated text: render it from a made-up run and check that the
// verdicts and the computed prose say what the figures say (and that the modules load at all;
// an unbalanced quote in bench/reading.mjs once broke `npm run bench -- --report-only`).
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { markdown } from '../../bench/report.mjs'
import { summarizeWorkload } from '../../bench/summary.mjs'

const TOOLS = ['plain', 'sccache', 'splitcache']
// Seconds per scenario and tool for one run; `k` varies the runs a little.
const seconds = (k) => ({
  cold: { plain: 20 * k, sccache: 22 * k, splitcache: 24 * k }, // splitcache 1.20× plain: missed
  'warm-clean': { plain: 20 * k, sccache: 8 * k, splitcache: 3.2 * k }, // 0.40× sccache, 0.16× plain: met
  'warm-other-dir': { plain: 20 * k, sccache: 22 * k, splitcache: 3.3 * k },
  'edit-leaf': { plain: 1.5 * k, sccache: 1.5 * k, splitcache: 1.6 * k },
  'edit-root': { plain: 1.2 * k, sccache: 1.2 * k, splitcache: 1.3 * k },
})
const cell = (s, tool) => ({
  ok: true,
  ms: s * 1000,
  units: { compiled: 72, fresh: 0 },
  ...(tool === 'plain' ? {} : { hits: 72, misses: 0 }),
  overhead: tool === 'splitcache' ? { overheadP50: 36, overheadP95: 60, calls: 72, startP50: 25, overheadSumMs: 3000, workSumMs: 1500 } : null,
  command: `cargo build (${tool})`,
})
function workload(id, kind) {
  const runs = [1, 1.05, 0.95].map((k, i) => ({
    run: i + 1,
    order: TOOLS,
    tools: Object.fromEntries(TOOLS.map((tool) => [tool, Object.fromEntries(Object.entries(seconds(k)).map(([sc, v]) => [sc, cell(v[tool], tool)]))])),
  }))
  const entry = { id, title: id, kind, shape: null, runs, edits: { leaf: 'a/src/lib.rs', root: 'b/src/main.rs' } }
  return Object.assign(entry, summarizeWorkload(entry, TOOLS))
}

const results = {
  version: 1,
  startedAt: '2026-12-01T00:00:00.000Z',
  argv: [],
  partial: false,
  options: { runs: 3, jobs: 2, tools: TOOLS, cargo: 'cargo build --workspace', scratch: '/tmp' },
  commit: { head: 'abc1234', dirty: false },
  machine: { cores: 2, cpu: 'test cpu', memoryGiB: 24, kernel: 'test', debian: '12' },
  versions: { rustc: 'rustc x', cargo: 'cargo x', sccache: 'sccache x', node: 'v20' },
  load: { start: '0.10', end: '1.90' },
  // Their median, (32.8 + 35.9) / 2, is 34.349999999999994 in floating point: printed once as such.
  nodeStartup: [{ bareP50: 32.8, p50: 32.8, bareP95: 35, p95: 35, n: 20 }, { bareP50: 35.9, p50: 35.9, bareP95: 38, p95: 38, n: 20 }],
  workloads: [workload('fixture', 'fixture'), workload('grep', 'real')],
}

t.test('the report says what the figures say', async (t) => {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-bench-report-'))
  const md = markdown(results, true, repo)
  t.notMatch(md, /undefined|NaN/, 'every interpolated figure is defined')
  t.match(md, /\| grep \| cold ≤ 1\.15× plain \| 1\.20× \| ❌ missed \|/, 'the cold verdict: 24 s against 20 s is missed')
  t.match(md, /\| grep \| warm clean ≤ 0\.5× sccache \| 0\.40× \| ✅ met \|/, 'the warm verdict: 3.2 s against 8 s is met')
  t.match(md, /\| grep \| hit overhead p50 ≤ 1\.5× bare node -e 0 \| 1\.05× \(36\.0 ms vs 34\.3 ms\) \| ✅ met \|/, 'hit overhead against the median bare node')
  t.notMatch(md, /\d\.\d{5,}/, 'no figure printed with floating-point noise')
  t.match(md, /at the start 0\.10 \(under ~0\.5: the cores were otherwise idle\)/, 'a quiet start is called quiet')
  t.notMatch(md, /above ~0\.5/, 'and not noisy')
  const busy = markdown({ ...results, load: { start: '0.90', end: '2.00' } }, true, repo)
  t.match(busy, /at the start 0\.90 \(above ~0\.5: other work was sharing the cores/, 'a busy start is called busy')
  const reading = md.slice(md.indexOf('## Reading the targets'), md.indexOf('## ', md.indexOf('## Reading the targets') + 3))
  t.match(reading, /Cold, target 1\.15× plain\*\* \(this run: fixture 1\.20× ✗, grep 1\.20× ✗;/, 'the prose carries the same cold figures, marked missed')
  t.match(reading, /grep \(single runs 1\.20–1\.20\), sccache 1\.10× in the same runs/, 'with the single-run spread and sccache beside it')
  t.match(reading, /Load average 0\.10 when this run started/, 'and the load the run started under')
  t.match(reading, /so 0\.3× plain is 6\.00 s and 0\.5× sccache 4\.00 s/, 'the fixture bounds come from its own figures')
  t.match(md, /Not measured in this run: store lookups/, 'a run without the lookup benchmark says so')
  t.match(md, /Not measured in this run: two cold builds at once/, 'nor the concurrent one')
})

t.test('two cold builds at once: each tool\'s times, the misses and hits of the caches, and the ratios', async (t) => {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-bench-report-'))
  fs.mkdirSync(path.join(repo, 'bench', 'out'), { recursive: true })
  fs.writeFileSync(path.join(repo, 'bench', 'out', 'concurrent-cold.json'), JSON.stringify({
    measuredAt: '2026-12-04T14:34:53.574Z', commit: 'abc1234', dirty: false, workload: 'tokio', runs: 2,
    seconds: { plain: [26, 28], sccache: [30, 33], splitcache: [16, 21] },
    compiled: { sccache: [50, 48], splitcache: [52, 52] }, hits: { sccache: [16, 18], splitcache: [52, 52] },
    splitcacheOverPlain: 0.68, splitcacheOverSccache: 0.59, sccacheOverPlain: 1.16, command: 'node bench/concurrentCold.mjs --runs 2',
  }))
  const md = markdown(results, true, repo)
  const section = md.slice(md.indexOf('## Two cold builds at once'))
  t.match(section, /2 runs, measured 2026-12-04T14:34Z on commit `abc1234`/)
  t.match(section, /\| 26, 28 \| 30, 33 \(misses 50, 48; hits 16, 18\) \| 16, 21 \(misses 52, 52; hits 52, 52\) \| 0\.68× \| 0\.59× \| 1\.16× \|/, 'one row: the times, then the ratios')
  t.notMatch(section, /undefined|NaN/)
})
