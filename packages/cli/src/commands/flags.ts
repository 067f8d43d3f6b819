/**
 * A subcommand's command line: `--name value`, `--name=value`, switches such as
 * `--json`, positional arguments, and `--help`/`-h`. Whatever the command does
 * not take (an unknown flag, a flag without its value, a stray argument) is a
 * usage error, and the command does nothing: a line it misread must not run.
 */
export interface CommandSpec {
  /** As typed after `splitcache`: `gc`, `audit verify`. */
  name: string;
  /** What `--help` prints: the command's line, what it does, its flags. */
  usage: string;
  /** The flags that take a value. */
  valued?: readonly string[];
  /** The flags that take none (`json`, `zero`). */
  switches?: readonly string[];
  /** How many positional arguments it takes (none unless given). */
  positionals?: number;
}

export type Flags = Record<string, string | undefined> & {
  /** `--json` was given. */
  json: boolean;
  /** The switches given, by name. */
  switches: Set<string>;
  /** The positional arguments. */
  rest: string[];
};

/** A command line the command can't take; the message names what is wrong. */
export class UsageError extends Error {}

/** Parses `args` by `spec`; throws UsageError. `--help` is the caller's (readCommandLine). */
export function parseFlags(args: readonly string[], spec: CommandSpec): Flags {
  const values: Record<string, string | undefined> = {};
  const switches = new Set<string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('-') || a === '-') {
      if (rest.length >= (spec.positionals ?? 0)) throw new UsageError(`unexpected argument '${a}'`);
      rest.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.startsWith('--') ? a.slice(2, eq > 0 ? eq : undefined) : '';
    if (spec.switches?.includes(name)) {
      if (eq > 0) throw new UsageError(`--${name} takes no value`);
      switches.add(name);
    } else if (spec.valued?.includes(name)) {
      // A flag's value is never the next flag: `gc --max-size --json` lacks one.
      const value = eq > 0 ? a.slice(eq + 1) : args[i + 1]?.startsWith('--') ? undefined : args[++i];
      if (!value) throw new UsageError(`--${name} needs a value`);
      values[name] = value;
    } else {
      throw new UsageError(`unknown option '${eq > 0 ? a.slice(0, eq) : a}'`);
    }
  }
  return Object.assign(values, { json: switches.has('json'), switches, rest });
}

/**
 * The command line a command runs with, or the exit code it ends with at once:
 * 0 after `--help`/`-h` (its usage on stdout), 2 after a usage error (one line).
 */
export function readCommandLine(args: readonly string[], spec: CommandSpec): Flags | number {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(spec.usage.endsWith('\n') ? spec.usage : `${spec.usage}\n`);
    return 0;
  }
  try {
    return parseFlags(args, spec);
  } catch (err) {
    if (err instanceof UsageError) return usageError(spec, err.message);
    throw err;
  }
}

/** Says on one line what is wrong with the command line, and where to look. Returns 2, the exit code. */
export function usageError(spec: CommandSpec, problem: string): number {
  process.stderr.write(`splitcache ${spec.name}: ${problem} (see \`splitcache ${spec.name} --help\`)\n`);
  return 2;
}
