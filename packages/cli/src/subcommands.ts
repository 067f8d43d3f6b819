/**
 * The first arguments that name a subcommand (cli.ts) rather than a compiler;
 * so does any first argument that starts with `-`, which no rustc path does.
 * bin/splitcache lists the same names, for when there is no node to run the
 * client (wrapper.test checks that the two lists agree).
 */
export const SUBCOMMANDS: readonly string[] = ['stats', 'server', 'cargo', 'audit', 'explain', 'gc', 'clear', 'verify', 'serve', 'report', 'help'];
