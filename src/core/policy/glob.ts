/**
 * Name globs for filters, virtual servers and roles: `*` matches any run of characters (none
 * included), `?` exactly one; everything else is literal and the whole name must match. Compiled once
 * per configuration, so matching a name is one regular-expression test per pattern.
 */
export type Matcher = (name: string) => boolean;

export function compileGlob(glob: string): RegExp {
  let src = '';
  for (const ch of glob) {
    if (ch === '*') src += '[\\s\\S]*';
    else if (ch === '?') src += '[\\s\\S]';
    else src += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, 'u');
}

/** The first pattern of `globs` that matches `name`, or undefined. */
export function firstMatch(globs: readonly { glob: string; re: RegExp }[], name: string): string | undefined {
  for (const g of globs) if (g.re.test(name)) return g.glob;
  return undefined;
}

export function compileGlobs(globs: readonly string[] | undefined): Array<{ glob: string; re: RegExp }> {
  return (globs ?? []).map((glob) => ({ glob, re: compileGlob(glob) }));
}

/** A matcher for a list of globs; undefined globs match everything, an empty list nothing. */
export function globMatcher(globs: readonly string[] | undefined): Matcher {
  if (globs === undefined) return () => true;
  const compiled = compileGlobs(globs);
  return (name) => firstMatch(compiled, name) !== undefined;
}
