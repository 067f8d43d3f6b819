// What gets built. Each workload can make a fresh copy of its project at any path:
//   make(dir, { registry }) -> { leaf, root }   leaf/root as paths relative to dir
//   scenarios                                   the scenario ids it runs (see scenarios.mjs)
// "leaf" is a lib at the bottom of the workspace graph (its edit rebuilds its dependants);
// "root" is the bin at the top (its edit rebuilds only itself).

import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { makeSyntheticWorkspace } from './synthetic.mjs'
import { makeRegistryWorkspace, mirrorRegistry, DEFAULT_REGISTRY } from '../test/fixtures/registry/make-workspace.mjs'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const FIXTURE = path.join(repo, 'test', 'fixtures', 'workspace')
const ALL = ['cold', 'warm-clean', 'warm-other-dir', 'edit-leaf', 'edit-root']
const SCALING = ['cold', 'warm-clean']
/** `cargo clippy`, on one real workspace only: it adds ~4 builds per tool and run. */
const CLIPPY = ['clippy-cold', 'clippy-warm']

// Sizes for the scaling curve: crate count roughly doubles each step.
export const SYNTHETIC_SHAPES = [
  { libs: 4, bins: 1, buildScripts: 1, procMacros: 1, depth: 2, fns: 20 },
  { libs: 8, bins: 1, buildScripts: 2, procMacros: 1, depth: 3, fns: 20 },
  { libs: 16, bins: 2, buildScripts: 4, procMacros: 1, depth: 3, fns: 20 },
  { libs: 32, bins: 4, buildScripts: 8, procMacros: 2, depth: 4, fns: 20 },
]

export const WORKLOADS = [
  {
    id: 'fixture',
    kind: 'fixture',
    title: 'test/fixtures/workspace (path deps only)',
    scenarios: ALL,
    make(dir) {
      if (!fs.existsSync(path.join(FIXTURE, 'Cargo.toml'))) throw new Error(`fixture workspace missing at ${FIXTURE}`)
      fs.cpSync(FIXTURE, dir, { recursive: true, filter: (src) => !/[/\\]target$/.test(src) })
      return editTargets(dir)
    },
  },
  ...['tokio', 'grep'].map((name) => ({
    id: name,
    kind: 'real',
    title: name === 'tokio' ? 'echod: tokio + serde derive + clap (Debian crates)' : 'sgrep: grep-* + regex + PCRE2 + clap (Debian crates)',
    scenarios: name === 'grep' ? [...ALL, ...CLIPPY] : ALL,
    needsRegistry: true,
    make(dir, { registry = DEFAULT_REGISTRY } = {}) {
      return relative(dir, makeRegistryWorkspace(dir, { registry, name }))
    },
  })),
  ...SYNTHETIC_SHAPES.map((shape) => ({
    id: `synthetic-${shape.libs}`,
    kind: 'synthetic',
    title: `synthetic: ${shape.libs} libs, ${shape.bins} bins, ${shape.buildScripts} build scripts, ${shape.procMacros} proc-macros, depth ${shape.depth}`,
    shape,
    scenarios: SCALING,
    make(dir) {
      return relative(dir, makeSyntheticWorkspace(dir, shape))
    },
  })),
]

/** A second registry at another path, for the other-directory scenario (a real copy). */
export function otherRegistry(dest) {
  if (!fs.existsSync(dest)) {
    fs.rmSync(`${dest}.tmp`, { recursive: true, force: true })
    mirrorRegistry(`${dest}.tmp`, { mode: 'copy' })
    fs.renameSync(`${dest}.tmp`, dest)
  }
  return dest
}

function relative(dir, info) {
  return {
    leaf: path.relative(dir, info.leaf.file),
    root: path.relative(dir, info.root.file),
  }
}

/**
 * Finds the leaf and root source files from `cargo metadata`: the leaf is the non-proc-macro
 * lib member with no member dependencies and the most dependants; the root is a bin member no
 * other member depends on, with the most member dependencies.
 */
export function editTargets(dir) {
  const res = spawnSync('cargo', ['metadata', '--format-version', '1', '--no-deps', '--offline'], { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 })
  if (res.status !== 0) throw new Error(`cargo metadata failed in ${dir}: ${res.stderr.trim().split('\n').pop()}`)
  const members = JSON.parse(res.stdout).packages
  const names = new Set(members.map((p) => p.name))
  const deps = new Map(members.map((p) => [p.name, p.dependencies.filter((d) => names.has(d.name) && d.kind === null).map((d) => d.name)]))
  const closure = (name, seen = new Set()) => {
    for (const d of deps.get(name) ?? []) if (!seen.has(d)) closure(d, seen.add(d))
    return seen
  }
  const dependants = (name) => members.filter((p) => closure(p.name).has(name)).length
  const target = (p, kind) => p.targets.find((t) => t.kind.includes(kind))
  const leaf = members
    .filter((p) => target(p, 'lib') && !target(p, 'proc-macro') && deps.get(p.name).length === 0)
    .sort((a, b) => dependants(b.name) - dependants(a.name))[0]
  const root = members
    .filter((p) => target(p, 'bin') && dependants(p.name) === 0)
    .sort((a, b) => closure(b.name).size - closure(a.name).size)[0]
  if (!leaf || !root) throw new Error(`cannot find a leaf lib and a root bin among the members in ${dir}`)
  return { leaf: path.relative(dir, target(leaf, 'lib').src_path), root: path.relative(dir, target(root, 'bin').src_path) }
}
