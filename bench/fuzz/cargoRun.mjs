// One cargo build of the fuzzer's workspace, plain or through splitcache, read from cargo's
// JSON messages: exit code, rendered diagnostics, artifacts (each file's digest) and what the
// bins print when run.

import { spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

const CMDS = {
  build: ['build'], 'build-all': ['build', '--all-targets'], check: ['check'], test: ['test', '--no-run'],
  // One package alone: resolver 2 unifies features over the packages built, so a dep gets another set.
  'build-p': ['build'], clippy: ['clippy', '--all-targets'], doc: ['doc', '--no-deps'],
}
const PROFILES = { dev: [], release: ['--release'], fuzz: ['--profile', 'fuzz'] }

/** The environment of a build: the caller's, less anything the model sets, plus the model's. */
export function buildEnv(ws, extra) {
  const env = { ...process.env }
  for (const k of Object.keys(env)) {
    if (/^(SC_FUZZ_|RUSTC_WRAPPER|RUSTFLAGS|CARGO_TARGET_DIR|CARGO_BUILD_|RUSTC$|CARGO_INCREMENTAL|RUSTUP_TOOLCHAIN)/.test(k)) delete env[k]
  }
  Object.assign(env, ws.env, { CARGO_INCREMENTAL: '0', CARGO_TERM_COLOR: 'never' }, extra)
  if (ws.rustflags) env.RUSTFLAGS = ws.rustflags
  return env
}

// --keep-going: a failing build builds all it can, so which crates it reaches is no matter of scheduling.
// `cargo test` has no --keep-going (it exited 1 before building anything: every test step compared two
// usage errors); its --no-fail-fast keeps going the same way.
export function cargoArgs(ws) {
  const keepGoing = ws.cmd === 'test' ? '--no-fail-fast' : '--keep-going'
  const pkg = ws.cmd === 'build-p' ? ['-p', ws.members[ws.pkg ?? 0].name] : []
  // A checkout reached through a symlink (`via`): cargo keeps the manifest path as given, so every path it names goes through the link.
  const manifest = ws.via ? ['--manifest-path', `${ws.via}/Cargo.toml`] : []
  return [`+${ws.toolchain}`, ...CMDS[ws.cmd], ...pkg, ...manifest, ...PROFILES[ws.profile], '-j', '2', keepGoing, '--offline', '--message-format=json']
}

const digest = (p) => {
  try { return crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex').slice(0, 16) } catch { return 'missing' }
}

export function cargoBuild(dir, ws, extraEnv) {
  const env = buildEnv(ws, extraEnv)
  const res = spawnSync('cargo', cargoArgs(ws), { cwd: dir, env, encoding: 'utf8', maxBuffer: 256 << 20, timeout: 900_000 })
  const diags = []
  const artifacts = []
  for (const line of (res.stdout ?? '').split('\n')) {
    if (!line.startsWith('{')) continue
    let msg
    try { msg = JSON.parse(line) } catch { continue }
    if (msg.reason === 'compiler-message' && msg.message?.rendered) diags.push(`${msg.target?.name}: ${msg.message.rendered}`)
    if (msg.reason === 'compiler-artifact') {
      artifacts.push({
        name: msg.target.name, pkg: path.basename(path.dirname(msg.manifest_path)), kinds: msg.target.kind, test: msg.profile?.test, fresh: msg.fresh, executable: msg.executable,
        files: msg.filenames.map((f) => ({ path: f, digest: digest(f) })),
      })
    }
  }
  diags.sort()
  return { code: res.status ?? `signal ${res.signal}`, diags, artifacts, stderr: res.stderr ?? '', env }
}

/** Runs each bin and example the build made, in the checkout, with the build's environment. */
export function runBins(dir, build) {
  const out = {}
  for (const a of build.artifacts) {
    // A test harness is not run: it prints its own timing. Its bytes are compared.
    if (!a.executable || a.test || !a.kinds.some((k) => k === 'bin' || k === 'example')) continue
    const r = spawnSync(a.executable, [], { cwd: dir, env: build.env, encoding: 'utf8', timeout: 20_000 })
    out[a.executable] = `${r.status}|${r.stdout}|${r.stderr}`
  }
  return out
}
