// node bench/daemonStart.mjs [--runs N] [--no-code-cache]: how long a daemon takes from
// spawn until its socket accepts a connection, on a store that already holds the fixture's
// entries (as on a CI runner whose cache was restored). This is what the first crates of a
// build wait for when no daemon runs. Tried every millisecond; the daemon is stopped between
// runs. The daemon that built the fixture lives long enough to write V8's code cache
// (packages/daemon/scripts/entry.cjs); --no-code-cache deletes it before every start.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bin = path.join(repo, 'bin', 'splitcache')
const main = path.join(repo, 'packages', 'daemon', 'dist', 'bundle', 'main.cjs')
const runsArg = process.argv.indexOf('--runs')
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 30
const noCodeCache = process.argv.includes('--no-code-cache')
const bundleDir = path.dirname(main)
const dropCodeCache = () => fs.readdirSync(bundleDir).filter((f) => f.endsWith('.cache')).forEach((f) => fs.rmSync(path.join(bundleDir, f)))

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-daemon-start-'))
const ws = path.join(scratch, 'workspace')
const store = path.join(scratch, 'store')
fs.cpSync(path.join(repo, 'test', 'fixtures', 'workspace'), ws, { recursive: true, filter: (s) => !/\/(target|Cargo\.lock)$/.test(s) })
const env = { ...process.env, CARGO_INCREMENTAL: '0', SPLITCACHE_DIR: store, RUSTC_WRAPPER: bin }
delete env.NODE_EXTRA_CA_CERTS
const built = spawnSync('cargo', ['build', '--offline', '-q'], { cwd: ws, env, stdio: ['ignore', 'ignore', 'pipe'] })
if (built.status !== 0) throw new Error(`cargo build failed: ${built.stderr}`)
await new Promise((r) => setTimeout(r, 3500)) // the entry writes the code cache 3 s after a start
spawnSync(bin, ['server', 'stop'], { env, stdio: 'ignore' })

const accepts = (sock) =>
  new Promise((res) => {
    const s = net.connect(sock)
    s.on('connect', () => (s.destroy(), res(true)))
    s.on('error', () => res(false))
  })

const times = []
for (let i = 0; i < runs; i++) {
  if (noCodeCache) dropCodeCache()
  const t0 = performance.now()
  const child = spawn(process.execPath, [main], { env, stdio: 'ignore' })
  while (!(await accepts(path.join(store, 'daemon.sock')))) await new Promise((r) => setTimeout(r, 1))
  times.push(performance.now() - t0)
  child.kill('SIGTERM')
  await new Promise((r) => child.on('exit', r))
}
times.sort((a, b) => a - b)
const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(1)
console.log(`daemon spawn → listening, ${runs} runs${noCodeCache ? ', no code cache' : ''}: p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, min ${times[0].toFixed(1)} ms`)
fs.rmSync(scratch, { recursive: true, force: true })
