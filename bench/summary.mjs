// Turns raw runs into figures: medians per tool and scenario, pairwise ratios, target verdicts.

import { summarize, median, round } from './measure.mjs'

// Ratios computed run by run (same run, same machine state), then summarised.
export const PAIRS = [
  ['splitcache', 'sccache'],
  ['splitcache', 'plain'],
  ['sccache', 'plain'],
]

/** { scenarios: { <id>: { tools: { <tool>: figures }, ratios: { 'a/b': summary } } } } */
export function summarizeWorkload(entry, toolIds) {
  const scenarioIds = [...new Set(entry.runs.flatMap((r) => Object.values(r.tools).flatMap((t) => Object.keys(t))))]
  const scenarios = {}
  for (const id of scenarioIds) {
    const tools = {}
    for (const tool of toolIds) {
      const cells = entry.runs.map((r) => r.tools[tool]?.[id]).filter(Boolean)
      const ok = cells.filter((c) => c.ok)
      const med = (pick) => {
        const xs = ok.map(pick).filter((x) => typeof x === 'number')
        return xs.length ? round(median(xs)) : null
      }
      tools[tool] = {
        seconds: summarize(ok.map((c) => c.ms / 1000), 2),
        failed: cells.length - ok.length,
        attempts: cells.length,
        hits: med((c) => c.hits),
        misses: med((c) => c.misses),
        compiled: med((c) => c.units?.compiled),
        overheadP50: med((c) => c.overhead?.overheadP50),
        overheadP95: med((c) => c.overhead?.overheadP95),
        overheadCalls: med((c) => c.overhead?.calls),
        startP50: med((c) => c.overhead?.startP50),
        overheadSumMs: med((c) => c.overhead?.overheadSumMs),
        workSumMs: med((c) => c.overhead?.workSumMs),
        cacheBytes: maxOf(ok.map((c) => c.cacheBytes)),
        serverRssKiB: maxOf(ok.map((c) => c.serverRssKiB)),
        command: cells[0]?.command ?? null,
        error: cells.find((c) => !c.ok)?.error ?? null,
      }
    }
    const ratios = {}
    for (const [a, b] of PAIRS) {
      const xs = entry.runs
        .map((r) => [r.tools[a]?.[id], r.tools[b]?.[id]])
        .filter(([x, y]) => x?.ok && y?.ok)
        .map(([x, y]) => x.ms / y.ms)
      ratios[`${a}/${b}`] = summarize(xs, 3)
    }
    scenarios[id] = { tools, ratios }
  }
  return { scenarios }
}

function maxOf(xs) {
  const nums = xs.filter((x) => typeof x === 'number')
  return nums.length ? Math.max(...nums) : null
}

/**
 * The targets of issues 2 and 6, judged per workload. verdict is 'met', 'missed' or
 * 'not measured' (a tool failed or the scenario wasn't run).
 */
export function judgeTargets(results) {
  const rows = []
  // The bare node start (no NODE_EXTRA_CA_CERTS); results from before it was measured have only p50.
  const nodeP50 = median(results.nodeStartup.map((n) => n.bareP50 ?? n.p50))
  for (const w of results.workloads) {
    if (!w.scenarios || w.kind === 'synthetic') continue
    const ratio = (sc, pair) => w.scenarios[sc]?.ratios[pair]?.median ?? null
    const check = (target, value, limit, fmt) =>
      rows.push({ workload: w.id, target, value: value == null ? null : fmt(value), verdict: value == null ? 'not measured' : value <= limit ? 'met' : 'missed' })
    const times = (x) => `${x.toFixed(2)}×`
    check('warm clean ≤ 0.5× sccache', ratio('warm-clean', 'splitcache/sccache'), 0.5, times)
    check('warm clean ≤ 0.3× plain', ratio('warm-clean', 'splitcache/plain'), 0.3, times)
    const warm = w.scenarios['warm-clean']?.tools.splitcache?.seconds.median
    const other = w.scenarios['warm-other-dir']?.tools.splitcache?.seconds.median
    check('warm other dir ≈ warm clean (≤ 1.10×)', warm && other ? other / warm : null, 1.1, times)
    check('warm other dir ≤ 0.5× sccache', ratio('warm-other-dir', 'splitcache/sccache'), 0.5, times)
    check('cold ≤ 1.15× plain', ratio('cold', 'splitcache/plain'), 1.15, times)
    const p50 = w.scenarios['warm-clean']?.tools.splitcache?.overheadP50
    check('hit overhead p50 ≤ 1.5× bare node -e 0', p50 != null && nodeP50 ? p50 / nodeP50 : null, 1.5, (x) => `${x.toFixed(2)}× (${p50.toFixed(1)} ms vs ${nodeP50.toFixed(1)} ms)`)
  }
  return rows
}
