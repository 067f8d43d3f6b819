import { oneLine } from '@splitcache/errors';

/**
 * The exit code of a subcommand whose reader went away: 128 + SIGPIPE (13),
 * what a shell reports for `git log | head -1`, whose git dies of SIGPIPE.
 */
export const READER_GONE = 141;

/**
 * Makes a subcommand whose output has no reader left (`splitcache audit | head -1`)
 * end at once and say nothing. git, cat and the rest die of SIGPIPE there; node
 * ignores that signal, so the next write fails with EPIPE instead, which node
 * emits as an 'error' event on process.stdout: with no listener, it threw it and
 * printed its stack. Nothing the command had left to print has a reader, so it
 * exits with the code a shell gives those tools. Any other fault of stdout or
 * stderr ends the command with one line, as any fault does (cli.ts).
 */
export function endQuietlyWhenReaderGoes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(READER_GONE);
      if (stream === process.stdout) {
        process.stderr.write(`splitcache: cannot write the output: ${process.env.SPLITCACHE_LOG === 'debug' ? (err.stack ?? String(err)) : oneLine(err)}\n`);
      }
      process.exit(1);
    });
  }
}
