// `node bench/concurrentCold.mjs [--runs 3]`: two cold builds of the tokio workspace started
// together on one empty cache (two checkouts, two target dirs: CI jobs sharing a runner's
// cache dir), for plain cargo, sccache and splitcache, tool after tool within each run. Times
// the pair (until both are done) and counts the compiles the cache made between them. Writes
// bench/out/concurrent-cold.json for BENCHMARKS.md.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { measuredCommit, median, round } from './measure.mjs'
import { baseEnv, hitsAndMisses, statsDelta, TOOLS } from './tools.mjs'

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const runs = process.argv.includes('--runs') ? Number(process.argv[process.argv.indexOf('--runs') + 1]) : 3
const { makeTokioWorkspace } = await import(path.join(repo, 'test/fixtures/registry/make-workspace.mjs'))
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'splitcache-concurrent-bench-'))
const pristine = makeTokioWorkspace(path.join(work, 'pristine')).dir

function build(cwd, env) {
  return new Promise((resolve, reject) => {
    const p = spawn('cargo', ['build', '--workspace', '--offline', '-j', '2'], { cwd, env, stdio: 'ignore' })
    p.on('error', reject)
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`cargo build in ${cwd} exited ${code}`))))
  })
}

/** Both builds at once on an empty cache: the pair's wall time, and the cache's counters over it. */
async function pair(tool, i) {
  const cacheDir = path.join(work, `${tool.id}-cache-${i}`)
  const dirs = ['a', 'b'].map((n) => path.join(work, `${tool.id}-${n}-${i}`))
  for (const d of dirs) fs.cpSync(pristine, d, { recursive: true })
  tool.stop(cacheDir)
  tool.zero(cacheDir)
  const before = tool.stats(cacheDir)
  const env = { ...baseEnv(path.join(work, 'home')), ...tool.env(cacheDir) }
  const t = performance.now()
  await Promise.all(dirs.map((d) => build(d, env)))
  const seconds = (performance.now() - t) / 1000
  const { hits, misses } = hitsAndMisses(statsDelta(before, tool.stats(cacheDir)))
  tool.stop(cacheDir)
  for (const d of [...dirs, cacheDir]) fs.rmSync(d, { recursive: true, force: true })
  return { seconds: round(seconds, 2), hits, misses }
}

const byTool = Object.fromEntries(TOOLS.map((tool) => [tool.id, []]))
for (let i = 0; i < runs; i++) {
  for (const tool of TOOLS) {
    const r = await pair(tool, i)
    byTool[tool.id].push(r)
    console.log(`run ${i + 1}/${runs} ${tool.id}: ${r.seconds} s${r.misses === null ? '' : `, ${r.misses} compiled, ${r.hits} hits`}`)
  }
}
const ratio = (a, b) => round(median(byTool[a].map((r, i) => r.seconds / byTool[b][i].seconds)), 2)
const result = {
  measuredAt: new Date().toISOString(), ...measuredCommit(repo),
  workload: 'tokio', runs,
  seconds: Object.fromEntries(Object.entries(byTool).map(([id, rs]) => [id, rs.map((r) => r.seconds)])),
  compiled: Object.fromEntries(Object.entries(byTool).filter(([, rs]) => rs[0].misses !== null).map(([id, rs]) => [id, rs.map((r) => r.misses)])),
  hits: Object.fromEntries(Object.entries(byTool).filter(([, rs]) => rs[0].hits !== null).map(([id, rs]) => [id, rs.map((r) => r.hits)])),
  splitcacheOverPlain: ratio('splitcache', 'plain'), splitcacheOverSccache: ratio('splitcache', 'sccache'), sccacheOverPlain: ratio('sccache', 'plain'),
  command: `node bench/concurrentCold.mjs --runs ${runs}`,
}
fs.rmSync(work, { recursive: true, force: true })
fs.mkdirSync(path.join(repo, 'bench/out'), { recursive: true })
fs.writeFileSync(path.join(repo, 'bench/out/concurrent-cold.json'), JSON.stringify(result, null, 2) + '\n')
console.log(result)
