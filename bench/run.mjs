#!/usr/bin/env node
// npm run bench [-- options]: splitcache, sccache and plain cargo side by side, in one run.
// See bench/README.md for what each figure means.

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { WORKLOADS, otherRegistry } from './workloads.mjs'
import { SCENARIOS } from './scenarios.mjs'
import { TOOLS, baseEnv, statsDelta, hitsAndMisses } from './tools.mjs'
import { timeCommand, runQuiet, nodeStartup, timingLogSummary, diskBytes, peakRssByEnv } from './measure.mjs'
import { environment, writeResults, writeDocs } from './report.mjs'
import { summarizeWorkload } from './summary.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const repo = path.resolve(here, '..')

const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    tools: { type: 'string', default: TOOLS.map((t) => t.id).join(',') },
    scenarios: { type: 'string' },
    jobs: { type: 'string', default: '2' },
    scratch: { type: 'string', default: path.join(os.tmpdir(), 'splitcache-bench') },
    out: { type: 'string' },
    timeout: { type: 'string', default: '900' },
    'write-docs': { type: 'boolean' },
    'no-write-docs': { type: 'boolean' },
    'report-only': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
})

if (opt.help) {
  process.stdout.write(`usage: npm run bench -- [options]   (details: bench/README.md)
  --runs N          runs per figure (default 5)
  --quick           1 run, fixture workload only; writes bench/out/results-quick.json, not docs/
  --only IDS        workloads, comma-separated: ${WORKLOADS.map((w) => w.id).join(', ')}
  --tools IDS       tools, comma-separated (default plain,sccache,splitcache)
  --scenarios IDS   scenarios, comma-separated: ${SCENARIOS.map((s) => s.id).join(', ')}
  --jobs N          cargo -j (default 2)
  --timeout S       per-build time limit in seconds (default 900)
  --scratch DIR     where projects and caches live (default $TMPDIR/splitcache-bench)
  --out FILE        results file (default bench/out/results.json)
  --write-docs      regenerate docs/ even after a partial run (--no-write-docs: never)
  --report-only     regenerate docs/ from the results file without measuring
`)
  process.exit(0)
}

const outDir = path.join(here, 'out')
const resultsFile = opt.out ?? path.join(outDir, opt.quick ? 'results-quick.json' : 'results.json')
// A partial run (--quick, --only, fewer tools) must not overwrite the published figures.
const partial = opt.quick || Boolean(opt.only) || Boolean(opt.scenarios) || opt.tools !== TOOLS.map((t) => t.id).join(',')
const writeDocsToo = opt['no-write-docs'] ? false : opt['write-docs'] ?? !partial

if (opt['report-only']) {
  const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'))
  writeDocs(results, repo)
  log(`docs regenerated from ${resultsFile}`)
  process.exit(0)
}

const runs = opt.quick ? 1 : Math.max(1, Number(opt.runs))
const only = opt.only ? opt.only.split(',') : opt.quick ? ['fixture'] : null
const workloads = only ? WORKLOADS.filter((w) => only.includes(w.id)) : WORKLOADS
const unknown = (only ?? []).filter((id) => !WORKLOADS.some((w) => w.id === id))
if (unknown.length) fail(`unknown workload ${unknown.join(', ')} (known: ${WORKLOADS.map((w) => w.id).join(', ')})`)
const tools = TOOLS.filter((t) => opt.tools.split(',').includes(t.id))
const cargoArgs = ['build', '--workspace', '--offline', '-j', opt.jobs, '--message-format=json-render-diagnostics']

const results = {
  version: 1,
  startedAt: new Date().toISOString(),
  argv: process.argv.slice(2),
  partial,
  options: { runs, jobs: Number(opt.jobs), tools: tools.map((t) => t.id), cargo: `cargo ${cargoArgs.join(' ')}`, scratch: opt.scratch },
  ...environment(repo),
  load: { start: os.loadavg()[0].toFixed(2) },
  nodeStartup: [nodeStartup()],
  workloads: [],
}

for (const workload of workloads) {
  const entry = { id: workload.id, title: workload.title, kind: workload.kind, shape: workload.shape ?? null, runs: [] }
  results.workloads.push(entry)
  try {
    benchWorkload(workload, entry)
  } catch (err) {
    entry.error = err.message
    log(`${workload.id}: skipped: ${err.message}`)
  }
  Object.assign(entry, summarizeWorkload(entry, tools.map((t) => t.id)))
  writeResults(results, resultsFile)
}
results.nodeStartup.push(nodeStartup())
results.finishedAt = new Date().toISOString()
results.load.end = os.loadavg()[0].toFixed(2)
writeResults(results, resultsFile)
log(`results: ${path.relative(process.cwd(), resultsFile)}`)
if (writeDocsToo) {
  writeDocs(results, repo)
  log('docs/BENCHMARKS.md and docs/benchmarks.png regenerated')
}

function benchWorkload(workload, entry) {
  const root = path.join(opt.scratch, workload.id)
  fs.rmSync(root, { recursive: true, force: true })
  // The project's directory name is the same at both paths: only the path to it differs.
  const pristine = path.join(root, 'pristine', 'project')
  const edits = workload.make(pristine, {})
  // Resolve once, untimed, so no timed build pays for writing Cargo.lock.
  const lock = runQuiet('cargo', ['generate-lockfile', '--offline'], { cwd: pristine, env: baseEnv(path.join(root, 'home-lock')) })
  if (!lock.ok) throw new Error(`cargo generate-lockfile failed: ${lock.stderr.trim().split('\n').pop()}`)
  entry.edits = edits
  const registry = workload.needsRegistry ? otherRegistry(path.join(opt.scratch, 'other-registry')) : null
  const scenarios = SCENARIOS.filter((s) => workload.scenarios.includes(s.id) && (!opt.scenarios || opt.scenarios.split(',').includes(s.id)))

  for (let run = 1; run <= runs; run++) {
    // Rotate who goes first, so no tool always gets the coldest page cache.
    const order = tools.map((_, i) => tools[(i + run - 1) % tools.length])
    const record = { run, order: order.map((t) => t.id), tools: {} }
    entry.runs.push(record)
    for (const tool of order) {
      record.tools[tool.id] = benchTool({ workload, tool, run, root, pristine, edits, registry, scenarios })
    }
    writeResults(results, resultsFile)
  }
}

function benchTool({ workload, tool, run, root, pristine, edits, registry, scenarios }) {
  const base = path.join(root, tool.id)
  const ctx = {
    pristine,
    edits,
    otherRegistry: registry,
    dirA: path.join(base, 'a', 'project'),
    dirB: path.join(base, 'elsewhere', 'checkout-b', 'project'),
    homeA: path.join(base, 'cargo-home-a'),
    homeB: path.join(base, 'elsewhere', 'cargo-home-b'),
    cacheDir: path.join(base, 'cache'),
  }
  const logs = path.join(outDir, 'logs', workload.id, `run${run}`, tool.id)
  const out = {}
  for (const scenario of scenarios) {
    ctx.token = `${Date.now().toString(36)}_${run}`
    const before = scenario.freshCache ? null : tool.stats(ctx.cacheDir)
    if (scenario.restart) tool.stop(ctx.cacheDir)
    else tool.zero(ctx.cacheDir)
    if (scenario.freshCache) fs.rmSync(ctx.cacheDir, { recursive: true, force: true })
    const { cwd, cargoHome } = scenario.setup(ctx)
    const timingLog = path.join(logs, `${scenario.id}.timing.jsonl`)
    fs.rmSync(timingLog, { force: true })
    const toolEnv = tool.env(ctx.cacheDir, timingLog)
    const args = argsFor(scenario)
    const result = timeCommand({
      cmd: 'cargo',
      args,
      cwd,
      env: { ...baseEnv(cargoHome), ...toolEnv },
      logFile: path.join(logs, `${scenario.id}.log`),
      timeoutMs: Number(opt.timeout) * 1000,
    })
    const stats = statsDelta(before, tool.stats(ctx.cacheDir))
    Object.assign(result, {
      command: commandLine(toolEnv, cargoHome, cwd, args),
      units: countUnits(result.log),
      ...(tool.id === 'plain' ? {} : hitsAndMisses(stats)),
      stats,
      overhead: tool.id === 'splitcache' ? timingLogSummary(timingLog) : null,
      cacheBytes: tool.id === 'plain' ? null : diskBytes(ctx.cacheDir),
      serverRssKiB: tool.rssEnv ? peakRssByEnv(tool.rssEnv, ctx.cacheDir) : null,
    })
    out[scenario.id] = result
    log(`${workload.id} run ${run} ${tool.id} ${scenario.id}: ${result.ok ? `${(result.ms / 1000).toFixed(2)} s` : `FAILED (${result.error?.split('\n').pop()})`}`)
  }
  tool.stop(ctx.cacheDir)
  fs.rmSync(base, { recursive: true, force: true })
  return out
}

// The crates cargo compiled in this build (fresh ones excluded), from its JSON messages.
function countUnits(logFile) {
  let compiled = 0
  let fresh = 0
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.startsWith('{"reason":"compiler-artifact"')) continue
    if (JSON.parse(line).fresh) fresh++
    else compiled++
  }
  return { compiled, fresh }
}

/** cargo's arguments for a scenario: `build …`, or its own subcommand with the same options. */
function argsFor(scenario) {
  return scenario.cargo ? [scenario.cargo, ...cargoArgs.slice(1)] : cargoArgs
}

function commandLine(toolEnv, cargoHome, cwd, args) {
  const vars = { CARGO_INCREMENTAL: '0', CARGO_HOME: cargoHome, ...toolEnv }
  const env = Object.entries(vars).map(([k, v]) => `${k}=${v}`)
  return `cd ${cwd} && ${env.join(' ')} cargo ${args.join(' ')}`
}

function log(msg) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`)
}

function fail(msg) {
  process.stderr.write(`bench: ${msg}\n`)
  process.exit(2)
}
