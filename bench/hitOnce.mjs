// node bench/hitOnce.mjs [--runs N] [--client node]: the wall time of one lib hit through
// bin/splitcache, one call at a time, against a bare `node -e 0`, in alternating runs on the
// same machine. The call's stdout and stderr are /dev/null, so with the daemon running it goes
// through the exec port (no node start); `--client node` sets SPLITCACHE_CLIENT=node, for the
// node client's figure.
//
// The fixture is built once through a recording wrapper, so the call measured is a real
// cargo call (its argv, env and cwd), replayed here against a warm store and daemon. The
// bare node has no NODE_EXTRA_CA_CERTS, as bin/splitcache runs node.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.join(repo, 'bin', 'splitcache')
const runsArg = process.argv.indexOf('--runs')
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 100
const clientArg = process.argv.indexOf('--client')
const client = clientArg > 0 ? process.argv[clientArg + 1] : undefined

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-hit-once-'))
const ws = path.join(scratch, 'workspace')
const store = path.join(scratch, 'store')
const calls = path.join(scratch, 'calls')
fs.cpSync(path.join(repo, 'test', 'fixtures', 'workspace'), ws, { recursive: true, filter: (s) => !/\/(target|Cargo\.lock)$/.test(s) })
fs.mkdirSync(calls)
const recorder = path.join(scratch, 'record.sh')
fs.writeFileSync(recorder, `#!/bin/sh\nn=$(date +%s%N)\nprintf '%s\\0' "$@" > '${calls}'/$n.args\nenv -0 > '${calls}'/$n.env\npwd > '${calls}'/$n.cwd\nexec '${bin}' "$@"\n`, { mode: 0o755 })
const env = { ...process.env, CARGO_INCREMENTAL: '0', SPLITCACHE_DIR: store, RUSTC_WRAPPER: recorder }
const built = spawnSync('cargo', ['build', '--offline', '-q'], { cwd: ws, env, stdio: ['ignore', 'ignore', 'pipe'] })
if (built.status !== 0) throw new Error(`cargo build failed: ${built.stderr}`)

const split0 = (file) => fs.readFileSync(file, 'utf8').split('\0').filter(Boolean)
const call = fs.readdirSync(calls).filter((f) => f.endsWith('.args')).map((f) => path.join(calls, f.slice(0, -5)))
  .map((base) => ({ argv: split0(`${base}.args`), env: Object.fromEntries(split0(`${base}.env`).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])), cwd: fs.readFileSync(`${base}.cwd`, 'utf8').trim() }))
  .find((c) => c.argv.includes('fx_core') && c.argv.includes('lib'))
if (!call) throw new Error('no lib call of fx_core was recorded')
call.env.RUSTC_WRAPPER = bin
if (client) call.env.SPLITCACHE_CLIENT = client

const bare = { ...process.env }
delete bare.NODE_EXTRA_CA_CERTS
const time = (cmd, args, opts) => {
  const t = process.hrtime.bigint()
  const r = spawnSync(cmd, args, { ...opts, stdio: 'ignore' })
  if (r.status !== 0) throw new Error(`${cmd} exited ${r.status}`)
  return Number(process.hrtime.bigint() - t) / 1e6
}
// The client's own milestones (SPLITCACHE_TIMING_LOG): where a hit's time goes, in ms since its node started.
const marksLog = path.join(scratch, 'marks.jsonl')
call.env.SPLITCACHE_TIMING_LOG = marksLog
const hit = () => time(bin, call.argv, { cwd: call.cwd, env: call.env })
for (let i = 0; i < 5; i++) hit() // warm the daemon, the page cache and the digest memo
fs.rmSync(marksLog, { force: true })
const node = []
const wrapper = []
for (let i = 0; i < runs; i++) {
  node.push(time(process.execPath, ['-e', '0'], { env: bare }))
  wrapper.push(hit())
}
const p50 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const marks = fs.readFileSync(marksLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
const clientMarksP50 = Object.fromEntries(['startMs', 'wrap', 'connected', 'planned', 'wallMs'].filter((k) => marks.every((m) => typeof m[k] === 'number')).map((k) => [k, +p50(marks.map((m) => m[k])).toFixed(1)]))
const clients = [...new Set(marks.map((m) => m.client ?? 'node'))]
const stats = spawnSync(bin, ['stats', '--json'], { env: { ...process.env, SPLITCACHE_DIR: store }, encoding: 'utf8' })
const hits = JSON.parse(stats.stdout).hits
spawnSync(bin, ['server', 'stop'], { env: { ...process.env, SPLITCACHE_DIR: store }, stdio: 'ignore' })
fs.rmSync(scratch, { recursive: true, force: true })
const result = { runs, nodeP50Ms: +p50(node).toFixed(1), hitP50Ms: +p50(wrapper).toFixed(1), ratio: +(p50(wrapper) / p50(node)).toFixed(2), storeHits: hits, clients, clientMarksP50 }
console.log(result)
if (hits < runs) throw new Error(`expected every measured call to be a hit, the store counted ${hits}`)
