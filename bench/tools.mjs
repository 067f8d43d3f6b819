// The three contenders, behind one small interface:
//   env(cacheDir, timingLog)  variables that make cargo use the tool
//   stop(cacheDir)            stops its server (so the next build starts a fresh one)
//   zero(cacheDir)            resets per-server counters where the tool has them
//   stats(cacheDir)           counters as JSON, or null
//   rssEnv                    the variable that identifies its server process (peak RSS)

import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { runQuiet } from './measure.mjs'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const SPLITCACHE_BIN = path.join(repo, 'bin', 'splitcache')
export const SCCACHE_BIN = process.env.BENCH_SCCACHE ?? '/usr/bin/sccache'
// Its own port, so the bench never stops or pollutes a user's sccache server on 4226.
const SCCACHE_PORT = '4399'

// Variables from the caller's shell that would change what is measured.
const SCRUB = /^(RUSTC_WRAPPER|RUSTC_WORKSPACE_WRAPPER|CARGO_BUILD_RUSTC_WRAPPER|CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER|CARGO_TARGET_DIR|CARGO_BUILD_TARGET_DIR|CARGO_INCREMENTAL|CARGO_BUILD_INCREMENTAL|RUSTFLAGS|CARGO_ENCODED_RUSTFLAGS|RUSTC_BOOTSTRAP|SCCACHE_.*|SPLITCACHE_.*)$/

/** The environment every build starts from: the caller's, scrubbed, with CARGO_INCREMENTAL=0. */
export function baseEnv(cargoHome) {
  const env = {}
  for (const [k, v] of Object.entries(process.env)) if (!SCRUB.test(k)) env[k] = v
  return { ...env, CARGO_HOME: cargoHome, CARGO_INCREMENTAL: '0', CARGO_TERM_COLOR: 'never' }
}

const plain = {
  id: 'plain',
  label: 'plain cargo',
  env: () => ({}),
  stop: () => {},
  zero: () => {},
  stats: () => null,
  rssEnv: null,
}

const sccache = {
  id: 'sccache',
  label: 'sccache',
  env: (cacheDir) => ({ RUSTC_WRAPPER: SCCACHE_BIN, SCCACHE_DIR: cacheDir, SCCACHE_SERVER_PORT: SCCACHE_PORT }),
  stop: (cacheDir) => runQuiet(SCCACHE_BIN, ['--stop-server'], { env: { ...process.env, ...sccache.env(cacheDir) } }),
  zero: (cacheDir) => runQuiet(SCCACHE_BIN, ['--zero-stats'], { env: { ...process.env, ...sccache.env(cacheDir) } }),
  stats(cacheDir) {
    const res = runQuiet(SCCACHE_BIN, ['--show-stats', '--stats-format=json'], { env: { ...process.env, ...sccache.env(cacheDir) } })
    if (!res.ok) return null
    try {
      return summarizeSccache(JSON.parse(res.stdout))
    } catch {
      return null
    }
  },
  rssEnv: 'SCCACHE_DIR',
}

const splitcache = {
  id: 'splitcache',
  label: 'splitcache',
  env: (cacheDir, timingLog) => ({
    RUSTC_WRAPPER: SPLITCACHE_BIN,
    SPLITCACHE_DIR: cacheDir,
    ...(timingLog ? { SPLITCACHE_TIMING_LOG: timingLog } : {}),
  }),
  stop: (cacheDir) => runQuiet(SPLITCACHE_BIN, ['server', 'stop'], { env: { ...process.env, SPLITCACHE_DIR: cacheDir } }),
  zero: () => {},
  stats(cacheDir) {
    const res = runQuiet(SPLITCACHE_BIN, ['stats', '--json'], { env: { ...process.env, SPLITCACHE_DIR: cacheDir } })
    if (!res.ok) return null
    try {
      return JSON.parse(res.stdout)
    } catch {
      return null
    }
  },
  rssEnv: 'SPLITCACHE_DIR',
}

export const TOOLS = [plain, sccache, splitcache]

// sccache 0.4's JSON keeps per-language maps; fold them into flat counters.
function summarizeSccache(json) {
  const s = json.stats ?? json
  const total = (v) => (typeof v === 'number' ? v : v && typeof v === 'object' ? Object.values(v.counts ?? v).reduce((a, b) => a + (typeof b === 'number' ? b : 0), 0) : 0)
  return {
    hits: total(s.cache_hits),
    misses: total(s.cache_misses),
    notCached: total(s.not_cached),
    nonCacheable: total(s.non_cacheable_calls),
    requests: total(s.compile_requests),
  }
}

/**
 * Counters that changed between two stats snapshots. Works on any JSON shape: numeric leaves are
 * diffed by path; a counter that went down means the server restarted, so its new value is kept.
 */
export function statsDelta(before, after) {
  if (after == null) return null
  const out = {}
  const walk = (b, a, prefix) => {
    for (const [k, v] of Object.entries(a)) {
      const key = prefix ? `${prefix}.${k}` : k
      const old = b && typeof b === 'object' ? b[k] : undefined
      if (typeof v === 'number') out[key] = typeof old === 'number' && v >= old ? v - old : v
      else if (v && typeof v === 'object') walk(old, v, key)
    }
  }
  walk(before, after, '')
  return out
}

/** hits/misses out of a flat counter map, by the most likely key names; null when absent. */
export function hitsAndMisses(flat) {
  if (!flat) return { hits: null, misses: null }
  const pick = (re) => {
    const keys = Object.keys(flat).filter((k) => re.test(k.split('.').pop()))
    // The shallowest key is the total; deeper ones are breakdowns.
    keys.sort((a, b) => a.split('.').length - b.split('.').length)
    return keys.length ? flat[keys[0]] : null
  }
  return { hits: pick(/^(hits?|cache_?hits)$/i), misses: pick(/^(miss|misses|cache_?misses)$/i) }
}
