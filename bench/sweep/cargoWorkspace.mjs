// The workspace cargoSweep.mjs builds: small, but with each kind of target cargo makes rustc
// calls for. `cs-core`, a lib with a build script (OUT_DIR code, rustc-env, rustc-cfg,
// rustc-check-cfg, rustc-link-arg, rerun-if-env-changed), unit tests, a doc test, an example, a
// bench (harness = false: stable) and features; `cs-mac`, a proc-macro; `cs-app`, a bin with an
// integration test; `itoa` from Debian's registry through directory source replacement.
// What the bin, the example and the bench print shows the settings they were built with.

/** Relative path → text. `{REGISTRY}` is the directory source's path. */
export const WORKSPACE = {
  'Cargo.toml': `[workspace]
resolver = "2"
members = ["core", "mac", "app"]

[workspace.package]
version = "0.1.0"
edition = "2021"

[profile.custom]
inherits = "release"
opt-level = 1
`,
  '.cargo/config.toml': `[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "{REGISTRY}"
`,
  'core/Cargo.toml': `[package]
name = "cs-core"
version.workspace = true
edition.workspace = true
build = "build.rs"

[features]
default = ["cubes"]
cubes = []
extra = []

[dependencies]
itoa = "1"
cs-mac = { path = "../mac" }

[[bench]]
name = "speed"
harness = false
`,
  'core/build.rs': `use std::{env, fs, path::Path};

fn main() {
    let out = env::var("OUT_DIR").unwrap();
    let level = env::var("CS_LEVEL").unwrap_or_else(|_| "none".into());
    let table = env::var("CS_TABLE").unwrap_or_else(|_| "unset".into());
    let cubes: Vec<String> = (1..=6u64).map(|n| (n * n * n).to_string()).collect();
    fs::write(
        Path::new(&out).join("gen.rs"),
        format!("pub const CUBES: [u64; 6] = [{}];\\npub const LEVEL: &str = {:?};\\npub const SEEN_TABLE: &str = {:?};\\n", cubes.join(", "), level, table),
    )
    .unwrap();
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CS_LEVEL");
    println!("cargo:rustc-env=CS_BUILT=by-build-script-{}", env::var("PROFILE").unwrap());
    println!("cargo:rustc-check-cfg=cfg(cs_gen)");
    println!("cargo:rustc-cfg=cs_gen");
    println!("cargo:rustc-link-arg=-Wl,--build-id=sha1");
    eprintln!("build script of cs-core ran");
}
`,
  'core/src/lib.rs': `//! The sweep's library.
include!(concat!(env!("OUT_DIR"), "/gen.rs"));

cs_mac::answer!();

/// Formats a number with the registry's itoa.
pub fn render(n: u64) -> String {
    let unused = 3;
    itoa::Buffer::new().format(n).to_owned()
}

/// The [env] table's value, as rustc saw it.
pub fn table() -> Option<&'static str> { option_env!("CS_TABLE") }

/// What the build script told rustc.
pub fn built() -> &'static str { env!("CS_BUILT") }

/// Whether the build script's cfg reached rustc.
pub fn generated() -> bool { cfg!(cs_gen) }

/// The features built.
pub fn features() -> String { format!("cubes={} extra={}", cfg!(feature = "cubes"), cfg!(feature = "extra")) }

/// Adds, as overflow-checks says.
pub fn add(a: u8, b: u8) -> u8 { a + b }

/// A doc test:
/// \`\`\`
/// assert_eq!(cs_core::twice(4), 8);
/// \`\`\`
pub fn twice(x: u32) -> u32 { x * 2 }

pub fn undocumented() -> &'static str { file!() }

#[cfg(test)]
mod tests {
    #[test]
    fn cubes() { assert_eq!(super::CUBES[2], 27); }
    #[test]
    fn answer() { assert_eq!(super::answer(), 42); }
}
`,
  'core/examples/demo.rs': `fn main() { println!("demo {} {}", cs_core::render(7), cs_core::LEVEL); }
`,
  'core/benches/speed.rs': `fn main() { println!("bench {} {}", cs_core::render(cs_core::CUBES[5]), cfg!(debug_assertions)); }
`,
  'mac/Cargo.toml': `[package]
name = "cs-mac"
version.workspace = true
edition.workspace = true

[lib]
proc-macro = true
`,
  'mac/src/lib.rs': `//! A function-like macro.
use proc_macro::TokenStream;

/// Makes \`pub fn answer() -> u32\`.
#[proc_macro]
pub fn answer(_: TokenStream) -> TokenStream {
    let value = option_env!("CS_MAC_VALUE").unwrap_or("42");
    format!("/// The answer.\\npub fn answer() -> u32 {{ {value} }}").parse().unwrap()
}
`,
  'app/Cargo.toml': `[package]
name = "cs-app"
version.workspace = true
edition.workspace = true

[[bin]]
name = "app"
path = "src/main.rs"

[dependencies]
cs-core = { path = "../core", default-features = false }
`,
  'app/src/main.rs': `fn main() {
    println!("{} {:?} {}", cs_core::render(12345), cs_core::CUBES, cs_core::answer());
    println!("table={:?} seen={} level={} built={} gen={}", cs_core::table(), cs_core::SEEN_TABLE, cs_core::LEVEL, cs_core::built(), cs_core::generated());
    println!("{} debug_assertions={} file={}", cs_core::features(), cfg!(debug_assertions), cs_core::undocumented());
    println!("app env={:?} args={:?}", option_env!("CS_APP"), std::env::args().skip(1).collect::<Vec<_>>());
    std::panic::set_hook(Box::new(|_| {}));
    let sum = std::panic::catch_unwind(|| cs_core::add(std::hint::black_box(200), std::hint::black_box(100)));
    println!("200+100 = {sum:?}");
}
`,
  'app/tests/it.rs': `#[test]
fn renders() { assert_eq!(cs_core::render(10), "10"); }

#[test]
fn the_bin_runs() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_app")).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("12345"));
}
`,
};

/** The lints table cargo turns into rustc flags (`lints.workspace = true` in each member). */
export const LINTS = {
  table: '\n[workspace.lints.rust]\nmissing_docs = "warn"\nunsafe_code = "forbid"\nunexpected_cfgs = { level = "warn", check-cfg = ["cfg(cs_extra)"] }\n',
  member: '\n[lints]\nworkspace = true\n',
};
