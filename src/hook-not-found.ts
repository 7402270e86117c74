import type { Hook } from '@oclif/core';
import { closestCommand, spacedId } from './core/cli/suggest.js';
import { ExitCode } from './core/errors.js';

/**
 * An unknown command gets one short answer: what was typed, the nearest command in the form people
 * type (`backends list`, never `backends:list`) and where the list is, without pages of usage.
 * (@oclif/plugin-not-found suggests only in a terminal, by prompting; piped runs got no suggestion.)
 */
const hook: Hook<'command_not_found'> = async function (opts) {
  const bin = opts.config.bin;
  const visible = opts.config.commands.filter((c) => !c.hidden);
  // Topics too, so a typo of a topic alone (`backendz`) points at it (`backends --help` lists its commands).
  const ids = [...visible.map((c) => c.id), ...visible.flatMap((c) => c.aliases), ...opts.config.topics.filter((t) => !t.hidden).map((t) => t.name)];
  const typed = spacedId(opts.id);
  const suggestion = closestCommand(opts.id, ids);
  const lines = [`Error: \`${typed}\` is not a ${bin} command.${suggestion ? ` Did you mean \`${spacedId(suggestion)}\`?` : ''}`];
  lines.push(suggestion ? `Hint: run \`${bin} ${spacedId(suggestion)} --help\` for its usage, or \`${bin} help\` for every command.` : `Hint: run \`${bin} help\` for every command.`);
  process.stderr.write(`${lines.join('\n')}\n`);
  this.exit(ExitCode.usage);
};

export default hook;
