/**
 * A fish completion script for the CLI's commands, generated from the same command list oclif
 * loads (@oclif/plugin-autocomplete covers bash and zsh, not fish). Words are space-separated, as
 * people type them; flags complete once their command's words are typed.
 */
export interface CompletionFlag {
  name: string;
  char?: string;
  summary?: string;
  /** Takes a value (not a boolean switch). */
  value: boolean;
  options?: readonly string[];
}

export interface CompletionCommand {
  /** oclif id, colon-separated. */
  id: string;
  summary?: string;
  flags: CompletionFlag[];
}

const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const one = (s: string | undefined) => (s ?? '').split('\n')[0]!.slice(0, 100);

export function fishCompletion(bin: string, commands: readonly CompletionCommand[], topics: Record<string, string | undefined>): string {
  const fn = bin.replace(/[^A-Za-z0-9_]/g, '_');
  const lines = [
    `# fish completion for ${bin}. Install: ${bin} completion fish > ~/.config/fish/completions/${bin}.fish`,
    `function __${fn}_words`,
    '    set -l words (commandline -opc)',
    '    set -e words[1]',
    '    for w in $words',
    "        string match -q -- '-*' $w; or echo $w",
    '    end',
    'end',
    '# The words typed so far (flags left out) are exactly $argv: offer the next word.',
    `function __${fn}_at`,
    `    set -l w (__${fn}_words)`,
    '    test "$w" = "$argv"',
    'end',
    '# The words typed so far start with $argv: that command is chosen, offer its flags.',
    `function __${fn}_in`,
    `    set -l w (__${fn}_words)`,
    '    set -l n (count $argv)',
    '    test (count $w) -ge $n; and test "$w[1..$n]" = "$argv"',
    'end',
    `complete -c ${bin} -f`,
  ];
  // Every word that can follow a prefix: topics (with their description) and commands.
  const next = new Map<string, Map<string, string>>();
  const add = (prefix: string[], word: string, desc: string) => {
    const key = prefix.join(' ');
    if (!next.has(key)) next.set(key, new Map());
    const m = next.get(key)!;
    if (!m.has(word) || (desc && !m.get(word))) m.set(word, desc);
  };
  for (const c of commands) {
    const words = c.id.split(':');
    words.forEach((w, i) => {
      const prefix = words.slice(0, i);
      const isLeaf = i === words.length - 1;
      add(prefix, w, isLeaf ? one(c.summary) : one(topics[words.slice(0, i + 1).join(':')]));
    });
  }
  for (const [prefix, words] of [...next.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    for (const [word, desc] of [...words.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`complete -c ${bin} -n ${q(`__${fn}_at${prefix ? ` ${prefix}` : ''}`)} -a ${q(word)}${desc ? ` -d ${q(desc)}` : ''}`);
    }
  }
  for (const c of [...commands].sort((a, b) => a.id.localeCompare(b.id))) {
    const cond = q(`__${fn}_in ${c.id.split(':').join(' ')}`);
    for (const f of c.flags) {
      const parts = [`complete -c ${bin} -n ${cond} -l ${f.name}`];
      if (f.char) parts.push(`-s ${f.char}`);
      if (f.value) parts.push(f.options?.length ? `-x -a ${q(f.options.join(' '))}` : '-r');
      if (f.summary) parts.push(`-d ${q(one(f.summary))}`);
      lines.push(parts.join(' '));
    }
  }
  return `${lines.join('\n')}\n`;
}
