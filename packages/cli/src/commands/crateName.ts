/**
 * rustc's name for a crate, which the audit log records (`fx_util`), from
 * either that or its package's name (`fx-util`): `--crate` and `explain`
 * take both.
 */
export function crateName(name: string): string {
  return name.replace(/-/g, '_');
}
