/** Minimal flag parsing for the subcommands: `--name value`, `--name=value` and boolean `--json`. */
export function parseFlags(args: string[], valued: string[]): Record<string, string | undefined> & { json: boolean; rest: string[] } {
  const out: Record<string, string | undefined> = {};
  const rest: string[] = [];
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (a.startsWith('--') && valued.includes(a.slice(2).split('=')[0]!)) {
      const eq = a.indexOf('=');
      if (eq > 0) out[a.slice(2, eq)] = a.slice(eq + 1);
      else out[a.slice(2)] = args[++i];
    } else rest.push(a);
  }
  return Object.assign(out, { json, rest });
}
