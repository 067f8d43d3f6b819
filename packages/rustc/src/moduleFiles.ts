/**
 * rustc finds the file of an out-of-line module (`mod foo;`) in one of two
 * places: `foo.rs` or `foo/mod.rs`, beside the file that declares it (or in
 * its directory of the same name, for a file that is not itself a `mod.rs`
 * or a crate root). Where both exist, it refuses the crate (E0761). So the
 * file it read for a module says where the other one would have been.
 *
 * otherModuleFile names that other place for a `.rs` file rustc read: for
 * `dir/foo.rs`, `dir/foo/mod.rs`; for `dir/foo/mod.rs`, `dir/foo.rs`. A file
 * that was not a module's (a crate root, an `include!`, a `#[path]`) gets a
 * name too: nothing tells them apart in dep-info, and such a place staying
 * empty, as it was, costs nothing.
 */
export function otherModuleFile(path: string): string | undefined {
  if (!path.endsWith('.rs')) return undefined;
  const slash = path.lastIndexOf('/');
  const name = path.slice(slash + 1);
  if (name === 'mod.rs') {
    // `mod.rs` at the top of a relative path, or under `/`, belongs to no directory module.
    if (slash <= 0) return undefined;
    return `${path.slice(0, slash)}.rs`;
  }
  if (name === '.rs') return undefined;
  return `${path.slice(0, -3)}/mod.rs`;
}
