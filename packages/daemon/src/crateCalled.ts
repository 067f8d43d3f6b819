/**
 * A call's crate as a line for the user names it: a build script by its package's name
 * (`fx-core's build script`), as cargo does, since every build script's crate is
 * `build_script_build`; else its crate's name. Bundled by the client (callFlow.ts).
 */
export function crateCalled(crate: string | undefined, crateType: string, pkg: string | undefined): string | undefined {
  return crateType === 'build-script' && pkg ? `${pkg}'s build script` : crate;
}
