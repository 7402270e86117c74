import type { AddBackendInput } from './core/backends/build.js';
import { parseCommandLine, validateBackendName, validateBackendUrl } from './core/backends/index.js';
import { errorMessage } from './core/errors.js';
import { SECRET_REF_RE } from './core/secrets/resolve.js';
import type { BackendTemplate } from './core/templates/index.js';

/*
 * The questions `backends add` asks in a terminal for what the flags left out: every kind (stdio,
 * HTTP, REST from a template or a tools file), template secrets as references, a header that
 * carries a secret, and a Cloudflare Access token. Prompts go to stderr; values are references,
 * never secrets themselves.
 */
export interface AskContext {
  known: string[];
  force: boolean;
  templates: () => BackendTemplate[];
  tokens: () => Promise<string[]>;
}

type Kind = 'stdio' | 'url' | 'template' | 'tools';

const refOrEmpty = (v: string) => (!v.trim() || SECRET_REF_RE.test(v.trim()) ? true : 'Give a reference, secret:<name> or env:<VAR> (store values with `gatehouse secrets set <name>`).');

export async function askBackendInput(input: AddBackendInput, ctx: AskContext): Promise<void> {
  const { input: text, select } = await import('@inquirer/prompts');
  // Prompts are chatter, so stderr, unless stderr is redirected away from the terminal.
  const io = { output: process.stderr.isTTY ? process.stderr : process.stdout };
  if (!input.name) {
    input.name = (
      await text({ message: 'Backend name', validate: (v) => validateBackendName(v.trim()) ?? (!ctx.force && ctx.known.includes(v.trim()) ? `"${v.trim()}" exists already (use --force to replace it)` : true) }, io)
    ).trim();
  }
  const rest = input.rest !== undefined || input.template !== undefined || input.tools !== undefined;
  let kind: Kind | undefined;
  if (rest) kind = input.template ? 'template' : 'tools';
  else if (!input.stdio && !input.url) {
    kind = await select<Kind>(
      {
        message: 'How does Gatehouse reach it?',
        choices: [
          { name: 'Start a local command (stdio MCP server)', value: 'stdio' },
          { name: 'Connect to a remote MCP URL (streamable HTTP or SSE)', value: 'url' },
          { name: 'A REST API from a template (Prometheus, ArgoCD, SigNoz, …)', value: 'template' },
          { name: 'A REST API described by a tools file (YAML)', value: 'tools' },
        ],
      },
      io,
    );
  }
  if (kind === 'stdio') {
    input.stdio = await text(
      {
        message: 'Command line',
        validate: (v) => {
          try {
            return parseCommandLine(v).length ? true : 'Give the command to start.';
          } catch (e) {
            return errorMessage(e);
          }
        },
      },
      io,
    );
    return;
  }
  if (kind === 'url') input.url = (await text({ message: 'MCP URL', validate: (v) => validateBackendUrl(v.trim()) ?? true }, io)).trim();
  if (kind === 'template' && !input.template) {
    const templates = ctx.templates();
    input.template = await select({ message: 'Template', choices: templates.map((t) => ({ name: `${t.name}  ${t.title}`, value: t.name, description: t.description })) }, io);
  }
  if (kind === 'tools' && !input.tools) input.tools = (await text({ message: 'Tools file (YAML)', validate: (v) => (v.trim() ? true : 'Give the path of the tools file.') }, io)).trim();
  if ((kind === 'template' || kind === 'tools') && !input.rest && !input.url) {
    const example = kind === 'template' ? ctx.templates().find((t) => t.name === input.template)?.url : undefined;
    input.rest = (await text({ message: `Base URL of the REST API${example ? ` (e.g. ${example})` : ''}`, validate: (v) => validateBackendUrl(v.trim()) ?? true }, io)).trim();
  }
  if (kind === 'template' && input.template && !input.secret?.length) {
    const t = ctx.templates().find((x) => x.name === input.template);
    const pairs: string[] = [];
    for (const [key, s] of Object.entries(t?.secrets ?? {})) {
      const ref = (await text({ message: `${key}${s.required ? '' : ' (optional)'}: ${s.description ?? 'secret'}, as secret:<name> or env:<VAR>`, validate: (v) => (s.required && !v.trim() ? 'This template needs it.' : refOrEmpty(v)) }, io)).trim();
      if (ref) pairs.push(`${key}=${ref}`);
    }
    if (pairs.length) input.secret = pairs;
  }
  if (kind === 'url' || kind === 'tools') {
    if (!input.header?.length) {
      const header = (
        await text({ message: 'A header that carries a secret, as Name: secret:<name> (empty for none)', validate: (v) => (!v.trim() ? true : /^[^:\s]+:\s*\S/.test(v) ? refOrEmpty(v.slice(v.indexOf(':') + 1)) : 'Write it as Name: secret:<name>.') }, io)
      ).trim();
      if (header) input.header = [header];
    }
  }
  if (kind && !input.cfAccessToken) {
    const tokens = await ctx.tokens().catch(() => []);
    const none = '\u0000none';
    const picked = tokens.length
      ? await select({ message: 'Cloudflare Access token to send', choices: [{ name: 'none (not behind Access)', value: none }, ...tokens.map((t) => ({ name: t, value: t }))] }, io)
      : (await text({ message: 'Cloudflare Access token name (empty for none; store one with `gatehouse tokens add`)' }, io)).trim() || none;
    if (picked !== none) input.cfAccessToken = picked;
  }
}
