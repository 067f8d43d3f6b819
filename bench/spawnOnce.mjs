// node bench/spawnOnce.mjs [--runs N]: what starting rustc costs the client, through node's raw
// process binding (the default on node 20) and through node:child_process
// (SPLITCACHE_CLIENT_SPAWN=node), in alternating runs on the same machine.
//
//   1. A fresh node process spawns /bin/true with its stdout and stderr piped, as the client
//      runs rustc, and reads them to their end: the time from the spawn call to the end.
//   2. A bin hit through bin/splitcache, whose link is such a spawn: the wall time of the call.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.join(repo, 'bin', 'splitcache')
const runsArg = process.argv.indexOf('--runs')
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 30
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-spawn-once-'))
const env = { ...process.env }
delete env.NODE_EXTRA_CA_CERTS
const kinds = { raw: '', node: 'node' }
const p50 = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6

// 1. The spawn alone, in a fresh process each time.
const probe = path.join(scratch, 'probe.mjs')
fs.writeFileSync(probe, `const { spawnProcess } = await import(${JSON.stringify(path.join(repo, 'packages/cli/dist/src/processSpawn.js'))})
const t = process.hrtime.bigint()
await spawnProcess('/bin/true', [], ['inherit', 'pipe', 'pipe'], process.env, { stdout() {}, stderr() {} })
console.log(Number(process.hrtime.bigint() - t) / 1e6)
`)
const spawnMs = { raw: [], node: [] }
for (let i = 0; i < runs; i++)
  for (const [kind, value] of Object.entries(kinds)) {
    const r = spawnSync(process.execPath, [probe], { env: { ...env, SPLITCACHE_CLIENT_SPAWN: value }, encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`probe failed: ${r.stderr}`)
    spawnMs[kind].push(Number(r.stdout))
  }

// 2. A bin hit, the link included.
const crate = path.join(scratch, 'crate')
fs.mkdirSync(path.join(crate, 'out'), { recursive: true })
fs.writeFileSync(path.join(crate, 'main.rs'), 'fn main() { println!("spawned"); }\n')
const store = { ...env, SPLITCACHE_DIR: path.join(scratch, 'store') }
const args = ['rustc', '--crate-name', 'spawned', '--edition=2021', 'main.rs', '--crate-type', 'bin', '--emit=dep-info,link', '-C', 'metadata=5b', '--out-dir', path.join(crate, 'out')]
const seed = spawnSync(bin, args, { cwd: crate, env: store })
if (seed.status !== 0) throw new Error(`seed compile failed: ${seed.stderr}`)
const hitMs = { raw: [], node: [] }
for (let i = 0; i < runs; i++)
  for (const [kind, value] of Object.entries(kinds)) {
    const t = process.hrtime.bigint()
    const r = spawnSync(bin, args, { cwd: crate, env: { ...store, SPLITCACHE_CLIENT_SPAWN: value } })
    hitMs[kind].push(ms(t))
    if (r.status !== 0) throw new Error(`hit failed: ${r.stderr}`)
  }
spawnSync(bin, ['server', 'stop'], { env: store })
fs.rmSync(scratch, { recursive: true, force: true })

const f = (x) => x.toFixed(1)
console.log(`spawn and drain /bin/true, p50 of ${runs}: raw ${f(p50(spawnMs.raw))} ms, node:child_process ${f(p50(spawnMs.node))} ms`)
console.log(`bin hit with its link, p50 of ${runs}: raw ${f(p50(hitMs.raw))} ms, node:child_process ${f(p50(hitMs.node))} ms`)
