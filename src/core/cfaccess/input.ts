import { ExitCode, UserError } from '../errors.js';
import { readSecretFromStream } from '../secrets/index.js';
import type { CfAccessToken } from './tokens.js';

/** Asks a person for a value; the command supplies it (core does no terminal I/O of its own). */
export interface TokenPrompter {
  input(message: string, validate: (v: string) => true | string): Promise<string>;
  password(message: string, validate: (v: string) => true | string): Promise<string>;
}

export interface TokenInputOptions {
  name: string;
  verb: 'add' | 'rotate';
  clientId?: string;
  /** Prompts may be used (stdin and stdout are terminals, no --json). */
  interactive: boolean;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  prompter: () => Promise<TokenPrompter>;
  /** Called when a value is missing and no terminal can ask for it; throws the usage error. */
  missing: (flags: string[], example: string) => never;
}

/** Shared by `tokens add` and `tokens rotate`: prompts in a terminal, else --client-id with the secret on stdin. */
export async function readTokenInput(o: TokenInputOptions): Promise<CfAccessToken> {
  const example = `printf %s "$CF_ACCESS_CLIENT_SECRET" | gatehouse tokens ${o.verb} ${o.name} --client-id <id>.access`;
  let clientId = o.clientId;
  if (clientId === undefined) {
    if (!o.interactive) o.missing(['client-id'], `${example} (the Client Secret goes on stdin)`);
    clientId = await (await o.prompter()).input('Client ID (CF-Access-Client-Id)', (v) => (v.trim() ? true : 'Enter the Client ID.'));
  }
  let clientSecret: string;
  if (!o.stdin.isTTY) {
    clientSecret = await readSecretFromStream(o.stdin as NodeJS.ReadableStream);
    if (!clientSecret.trim()) {
      throw new UserError('No Client Secret on stdin.', { code: 'missing_stdin', exit: ExitCode.usage, hint: `Pipe it in: ${example}` });
    }
  } else if (o.interactive) {
    clientSecret = await (await o.prompter()).password('Client Secret (CF-Access-Client-Secret, hidden)', (v) => (v.trim() ? true : 'Enter the Client Secret.'));
  } else {
    throw new UserError('The Client Secret must come on stdin or from a prompt, and there is no terminal to prompt in.', { code: 'missing_stdin', exit: ExitCode.usage, hint: `Pipe it in: ${example}` });
  }
  return { clientId: clientId.trim(), clientSecret: clientSecret.trim() };
}
