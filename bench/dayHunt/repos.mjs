// The two git repositories of the day hunt, each with branches that differ in sources, features,
// build scripts and what env!/option_env!/include_str! read, and the edits a developer makes in them.

import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { makeTokioWorkspace } from '../../test/fixtures/registry/make-workspace.mjs'

export const git = (dir, ...args) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })

const write = (dir, rel, text) => {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
  fs.writeFileSync(path.join(dir, rel), text)
}
const edit = (dir, rel, from, to) => {
  const p = path.join(dir, rel)
  const t = fs.readFileSync(p, 'utf8')
  if (!t.includes(from)) throw new Error(`${rel}: no ${from}`)
  fs.writeFileSync(p, t.replace(from, to))
}
function commitAll(dir, msg) {
  git(dir, 'add', '-A')
  git(dir, '-c', 'user.name=day', '-c', 'user.email=day@hunt', 'commit', '-qm', msg)
}
function initRepo(dir) {
  git(dir, 'init', '-q', '-b', 'main')
  write(dir, '.gitignore', 'target/\n')
}

/** The fixture workspace with features, env reads and a data file, and three more branches. */
export function makeFixtureRepo(repo, dir) {
  fs.cpSync(path.join(repo, 'test/fixtures/workspace'), dir, { recursive: true, filter: (s) => !/[/\\](target|Cargo\.lock)$/.test(s) })
  initRepo(dir)
  write(dir, 'util/note.txt', 'a note from main\n')
  fs.appendFileSync(path.join(dir, 'util/Cargo.toml'), '\n[features]\ndefault = ["fancy"]\nfancy = []\nextra = []\n')
  fs.appendFileSync(path.join(dir, 'util/src/lib.rs'), [
    '', 'pub const NOTE: &str = include_str!("../note.txt");', '',
    'pub fn flavour() -> String {',
    '    format!("opt={:?} fancy={} extra={}", option_env!("DAY_OPT"), cfg!(feature = "fancy"), cfg!(feature = "extra"))',
    '}', '',
    '#[cfg(test)]', 'mod tests {', '    #[test]', '    fn flavour_names_fancy() {', '        assert!(super::flavour().contains("fancy=true"));', '    }', '}', '',
  ].join('\n'))
  edit(dir, 'app/Cargo.toml', 'fx-util = { path = "../util" }', 'fx-util = { path = "../util", default-features = false }')
  fs.appendFileSync(path.join(dir, 'app/Cargo.toml'), '\n[features]\ndefault = ["fancy"]\nfancy = ["fx-util/fancy"]\nextra = ["fx-util/extra"]\n')
  edit(dir, 'app/src/main.rs', '    println!("double={}", fx_util::double(21));', '    println!("double={}", fx_util::double(21));\n    println!("{} note={}", fx_util::flavour(), fx_util::NOTE.trim());')
  fs.appendFileSync(path.join(dir, 'app/tests/integration.rs'), '\n#[test]\nfn note_is_from_main() {\n    assert!(fx_util::NOTE.contains("main"));\n}\n')
  commitAll(dir, 'main')

  git(dir, 'checkout', '-qb', 'leaf8')
  edit(dir, 'core/src/lib.rs', '    7\n', '    8\n')
  edit(dir, 'util/Cargo.toml', 'default = ["fancy"]', 'default = []')
  write(dir, 'util/note.txt', 'a note from leaf8, longer\n')
  commitAll(dir, 'leaf8')

  git(dir, 'checkout', '-q', 'main')
  git(dir, 'checkout', '-qb', 'buildrs')
  edit(dir, 'core/build.rs', 'n * n * n', 'n * n * n + env::var("DAY_BUILD").map(|v| v.len() as u64).unwrap_or(0)')
  edit(dir, 'core/build.rs', '    println!("cargo:rerun-if-changed=build.rs");', '    println!("cargo:rerun-if-changed=build.rs");\n    println!("cargo:rerun-if-env-changed=DAY_BUILD");')
  edit(dir, 'app/src/main.rs', 'fn main() {\n', 'fn main() {\n    println!("opt2={:?}", option_env!("DAY_OPT2"));\n')
  commitAll(dir, 'buildrs')

  git(dir, 'checkout', '-q', 'main')
  git(dir, 'checkout', '-qb', 'envreq')
  edit(dir, 'util/src/lib.rs', 'format!("sum={} origin={} leaf={}", ', 'format!("req={} sum={} origin={} leaf={}", env!("DAY_REQ"), ')
  fs.appendFileSync(path.join(dir, 'app/Cargo.toml'), '\n[[bin]]\nname = "fx-app"\npath = "src/main.rs"\n\n[[bin]]\nname = "fx-tool"\npath = "src/bin/tool.rs"\n')
  write(dir, 'app/src/bin/tool.rs', 'fn main() {\n    println!("tool {} {}", fx_util::double(3), fx_util::flavour());\n}\n')
  write(dir, 'util/note.txt', 'a note from envreq\n')
  commitAll(dir, 'envreq')
  git(dir, 'checkout', '-q', 'main')
  return {
    name: 'fx', dir, branches: ['main', 'leaf8', 'buildrs', 'envreq'],
    members: ['fx-core', 'fx-util', 'fx-app'],
    featureSets: [[], ['--features', 'fx-app/extra'], ['-p', 'fx-app', '--no-default-features'], ['-p', 'fx-app', '--features', 'extra'], ['-p', 'fx-util', '--no-default-features']],
    edits: [
      { file: 'core/src/lib.rs', from: /leaf_value\(\) -> u32 \{\n {4}(\d+)/, to: (n) => `leaf_value() -> u32 {\n    ${n}` },
      { file: 'util/note.txt', append: (n) => `wip-begin line ${n} wip-end\n` },
      { file: 'util/src/lib.rs', append: (n) => `// wip-begin\npub fn wip() -> u64 { ${n} }\n#[test]\nfn wip_test() { assert_eq!(wip(), ${n}); }\n// wip-end\n` },
      { file: 'core/build.rs', from: /FX_CORE_BUILD=generated\d*/, to: (n) => `FX_CORE_BUILD=generated${n}` },
      { file: 'app/src/main.rs', from: /double\((\d+)\)\)/, to: (n) => `double(${n}))` },
    ],
    touchable: ['core/src/lib.rs', 'util/src/lib.rs', 'app/src/main.rs', 'core/build.rs', 'util/note.txt', 'derive/src/lib.rs', 'util/Cargo.toml'],
  }
}

/** The tokio workspace of Debian's crates, with a branch changing the build script's input and one reading env. */
export function makeTokioRepo(dir) {
  const ws = makeTokioWorkspace(dir)
  const leaf = path.relative(dir, ws.leaf.file)
  const root = path.relative(dir, ws.root.file)
  initRepo(dir)
  fs.appendFileSync(path.join(dir, leaf), '\n#[cfg(test)]\nmod day_tests {\n    #[test]\n    fn greets() {\n        assert!(!super::GREETINGS.is_empty());\n    }\n}\n')
  commitAll(dir, 'main')
  git(dir, 'checkout', '-qb', 'greet')
  fs.appendFileSync(path.join(dir, 'crates/wire/greetings.txt'), 'good day\n')
  commitAll(dir, 'greet')
  git(dir, 'checkout', '-q', 'main')
  git(dir, 'checkout', '-qb', 'optenv')
  fs.appendFileSync(path.join(dir, leaf), '\npub fn day_opt() -> Option<&\'static str> {\n    option_env!("DAY_OPT")\n}\n')
  edit(dir, root, 'async fn main() -> Result<(), BoxError> {\n', 'async fn main() -> Result<(), BoxError> {\n    println!("day_opt={:?}", wire::day_opt());\n')
  commitAll(dir, 'optenv')
  git(dir, 'checkout', '-q', 'main')
  return {
    name: 'tok', dir, branches: ['main', 'greet', 'optenv'],
    members: ['wire', 'echod'],
    featureSets: [[], ['-p', 'wire']],
    edits: [
      { file: 'crates/wire/greetings.txt', append: (n) => `wip-begin greeting ${n} wip-end\n` },
      { file: leaf, append: (n) => `// wip-begin\npub fn wip() -> u64 { ${n} }\n#[test]\nfn wip_test() { assert_eq!(wip(), ${n}); }\n// wip-end\n` },
    ],
    touchable: [leaf, root, 'crates/wire/build.rs', 'crates/wire/greetings.txt'],
  }
}
