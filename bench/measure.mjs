// Timing and sampling primitives: one timed build, summaries, process start-up, disk and RSS.

import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

/**
 * Runs one command to completion and times it with a monotonic clock. stdout and stderr go to
 * `logFile`; the result says ok or failed, never throws for a failing command.
 */
export function timeCommand({ cmd, args, cwd, env, logFile, timeoutMs = 30 * 60_000 }) {
  fs.mkdirSync(path.dirname(logFile), { recursive: true })
  const fd = fs.openSync(logFile, 'w')
  const start = process.hrtime.bigint()
  let res
  try {
    res = spawnSync(cmd, args, { cwd, env, stdio: ['ignore', fd, fd], timeout: timeoutMs })
  } finally {
    fs.closeSync(fd)
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  const ok = res.status === 0 && !res.error
  const out = { ok, ms: round(ms), exitCode: res.status, signal: res.signal ?? null, log: logFile }
  if (!ok) out.error = res.error ? String(res.error.message) : tail(logFile, 6)
  return out
}

/**
 * The commit a measurement ran on, and whether the tree had other changes
 * (docs/ aside: it is the benches' own output), for a result file.
 */
export function measuredCommit(repo) {
  const git = (args) => runQuiet('git', args, { cwd: repo }).stdout.trim()
  return { commit: git(['rev-parse', '--short', 'HEAD']), dirty: git(['status', '--porcelain', '--', '.', ':(exclude)docs']) !== '' }
}

/** Runs a helper command (server stop, stats) quietly; returns { ok, stdout, stderr }. */
export function runQuiet(cmd, args, { env, cwd, timeoutMs = 60_000 } = {}) {
  const res = spawnSync(cmd, args, { env, cwd, encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] })
  return { ok: res.status === 0 && !res.error, stdout: res.stdout ?? '', stderr: res.stderr ?? String(res.error ?? '') }
}

export function tail(file, lines) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

export function round(x, digits = 1) {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/** Nearest-rank percentile of a list of numbers (p in 0..100). */
export function percentile(values, p) {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]
}

export function median(values) {
  if (values.length === 0) return null
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

/** { median, min, max, n } of the numbers given; nulls when there are none. */
export function summarize(values, digits = 1) {
  if (values.length === 0) return { median: null, min: null, max: null, n: 0 }
  const r = (x) => round(x, digits)
  return { median: r(median(values)), min: r(Math.min(...values)), max: r(Math.max(...values)), n: values.length }
}

/**
 * Wall time of `node -e 0`, `count` times each: with this process's environment, and bare,
 * without NODE_EXTRA_CA_CERTS (which costs every node start its CA bundle here, and which
 * bin/splitcache parks). The bare figure is the floor the hit-overhead target is judged by.
 */
export function nodeStartup(count = 20) {
  const bareEnv = { ...process.env }
  delete bareEnv.NODE_EXTRA_CA_CERTS
  const withEnv = []
  const bare = []
  for (let i = 0; i < count + 2; i++) {
    // Interleaved, so both see the same machine; the first two of each warm the page cache and are dropped.
    for (const [times, env] of [[withEnv, process.env], [bare, bareEnv]]) {
      const start = process.hrtime.bigint()
      spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore', env })
      if (i >= 2) times.push(Number(process.hrtime.bigint() - start) / 1e6)
    }
  }
  return {
    p50: round(percentile(withEnv, 50)),
    p95: round(percentile(withEnv, 95)),
    bareP50: round(percentile(bare, 50)),
    bareP95: round(percentile(bare, 95)),
    caCerts: process.env.NODE_EXTRA_CA_CERTS !== undefined,
    n: withEnv.length,
    command: `${process.execPath} -e 0`,
  }
}

/**
 * Reads SPLITCACHE_TIMING_LOG lines ({"wallMs":..,"workMs":..}) and returns the overhead
 * (wall minus work) p50/p95, or null when the wrapper wrote nothing.
 */
export function timingLogSummary(file) {
  let text
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch {
    return null
  }
  const rows = []
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    try {
      const row = JSON.parse(line)
      if (typeof row.wallMs === 'number' && typeof row.workMs === 'number') rows.push(row)
    } catch {
      // A torn last line from a killed client: skip it.
    }
  }
  if (rows.length === 0) return null
  const overhead = rows.map((r) => r.wallMs - r.workMs)
  const sum = (xs) => round(xs.reduce((a, b) => a + b, 0))
  const starts = rows.map((r) => r.startMs).filter((x) => typeof x === 'number')
  return {
    calls: rows.length,
    startP50: starts.length ? round(percentile(starts, 50)) : null,
    overheadP50: round(percentile(overhead, 50)),
    overheadP95: round(percentile(overhead, 95)),
    wallSumMs: sum(rows.map((r) => r.wallMs)),
    workSumMs: sum(rows.map((r) => r.workMs)),
    overheadSumMs: sum(overhead),
  }
}

/** Bytes used by the files under `dir` (0 when it doesn't exist). */
export function diskBytes(dir) {
  let total = 0
  let entries
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true })
  } catch {
    return 0
  }
  for (const e of entries) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) total += diskBytes(p)
    else if (e.isFile()) total += fs.statSync(p).blocks * 512
  }
  return total
}

/**
 * Peak RSS (VmHWM, KiB) of the live processes whose environment holds `NAME=value` exactly:
 * how a tool's server is found without knowing its pid. Returns the largest, or null.
 */
export function peakRssByEnv(name, value) {
  const needle = Buffer.from(`${name}=${value}\0`)
  let best = null
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue
    try {
      const env = fs.readFileSync(`/proc/${pid}/environ`)
      if (!env.includes(needle)) continue
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
      if (m && (best === null || Number(m[1]) > best)) best = Number(m[1])
    } catch {
      // The process exited while we looked.
    }
  }
  return best
}
