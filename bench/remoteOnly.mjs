// `node bench/remoteOnly.mjs [--runs 3]`: a warm build served only by the remote
// (empty local store, warm `splitcache serve` on loopback) against a local warm
// build, on the tokio workspace, as a ratio. Both start with a clean target dir
// and a stopped daemon. Writes bench/out/remote-only.json for BENCHMARKS.md.
// `--latency-ms N` puts a proxy that holds each chunk N ms each way (bench/latencyProxy.mjs)
// between the readers and the server, as a remote that is not on the same machine, and
// writes bench/out/remote-only-<N>ms.json.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { measuredCommit, median, round } from './measure.mjs'

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.join(repo, 'bin/splitcache')
const arg = (name, dflt) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : dflt)
const runs = arg('--runs', 3)
const latencyMs = arg('--latency-ms', 0)
const { makeTokioWorkspace } = await import(path.join(repo, 'test/fixtures/registry/make-workspace.mjs'))
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'splitcache-remote-bench-'))
const ws = makeTokioWorkspace(path.join(work, 'ws')).dir
const serveDir = path.join(work, 'serve')

const serve = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--dir', serveDir], { stdio: ['ignore', 'pipe', 'inherit'] })
const url = await new Promise((res, rej) => {
  serve.stdout.on('data', (d) => {
    const m = /listening on (\S+)/.exec(String(d))
    if (m) res(m[1])
  })
  serve.on('close', () => rej(new Error('serve exited')))
})

const { startLatencyProxy } = await import('./latencyProxy.mjs')
const proxy = latencyMs > 0 ? await startLatencyProxy(url, latencyMs) : undefined
const readUrl = proxy?.url ?? url

const base = { ...process.env, CARGO_INCREMENTAL: '0', RUSTC_WRAPPER: bin, CARGO_HOME: path.join(work, 'home') }
function build(env) {
  spawnSync(bin, ['server', 'stop'], { env })
  fs.rmSync(path.join(ws, 'target'), { recursive: true, force: true })
  const t = performance.now()
  const r = spawnSync('cargo', ['build', '--workspace', '--offline', '-j', '2'], { cwd: ws, env, stdio: 'ignore' })
  if (r.status !== 0) throw new Error(`build failed (${JSON.stringify(env.SPLITCACHE_DIR)})`)
  return (performance.now() - t) / 1000
}
const local = path.join(work, 'local')
const cold = build({ ...base, SPLITCACHE_DIR: local, SPLITCACHE_REMOTE: url })
spawnSync(bin, ['server', 'stop'], { env: { ...base, SPLITCACHE_DIR: local, SPLITCACHE_REMOTE: url } }) // flushes uploads
const remoteOnly = []
const localWarm = []
let remoteHits = 0
for (let i = 0; i < runs; i++) {
  const fresh = path.join(work, `empty-${i}`)
  const env = { ...base, SPLITCACHE_DIR: fresh, SPLITCACHE_REMOTE: readUrl, SPLITCACHE_REMOTE_MODE: 'read-only' }
  remoteOnly.push(build(env))
  const audit = spawnSync(bin, ['audit', '--json'], { env, encoding: 'utf8' }).stdout
  remoteHits = audit.split('\n').filter((l) => l.includes('"origin":"remote"')).length
  spawnSync(bin, ['server', 'stop'], { env })
  localWarm.push(build({ ...base, SPLITCACHE_DIR: local }))
}
spawnSync(bin, ['server', 'stop'], { env: { ...base, SPLITCACHE_DIR: local } })
await proxy?.close()
serve.kill('SIGTERM')
const ratios = remoteOnly.map((r, i) => r / localWarm[i])
const result = {
  measuredAt: new Date().toISOString(), ...measuredCommit(repo),
  workload: 'tokio', runs, latencyMs, coldSeconds: round(cold, 2),
  remoteOnlySeconds: remoteOnly.map((x) => round(x, 2)), localWarmSeconds: localWarm.map((x) => round(x, 2)),
  medianRatio: round(median(ratios), 2), remoteHitsLastRun: remoteHits,
  command: `node bench/remoteOnly.mjs --runs ${runs}${latencyMs ? ` --latency-ms ${latencyMs}` : ''}`,
}
fs.rmSync(work, { recursive: true, force: true })
fs.writeFileSync(path.join(repo, `bench/out/remote-only${latencyMs ? `-${latencyMs}ms` : ''}.json`), JSON.stringify(result, null, 2) + '\n')
console.log(result)
