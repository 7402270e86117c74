import { readFile } from 'node:fs/promises';
import { parseDocument, stringify } from 'yaml';
import type { z } from 'zod';
import { UserError, ExitCode } from '../errors.js';
import { configSchema, type GatehouseConfig } from './schema.js';

/** Turns schema issues into one message that names the file, the path inside it and the fix. */
export function formatIssues(source: string, issues: z.core.$ZodIssue[]): string {
  const lines = issues.slice(0, 12).map((issue) => {
    const where = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
    return `  ${source}: ${where}: ${describeIssue(issue)}`;
  });
  if (issues.length > 12) lines.push(`  … and ${issues.length - 12} more`);
  return lines.join('\n');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (remove ${issue.keys.length > 1 ? 'them' : 'it'} or check the spelling)`;
    case 'invalid_union':
      return `${issue.message}; "type" must be one of stdio, http, rest`;
    case 'invalid_value':
      return `${issue.message}`;
    case 'invalid_type':
      return issue.input === undefined ? `required (${issue.expected} expected)` : `${issue.expected} expected, got ${typeof issue.input}`;
    default:
      return issue.message;
  }
}

/** Validates an already-parsed object as Gatehouse config. Throws a UserError naming `source`. */
export function validateConfig(data: unknown, source: string): GatehouseConfig {
  const result = configSchema.safeParse(data ?? {});
  if (!result.success) {
    throw new UserError(`Invalid configuration in ${source}:\n${formatIssues(source, result.error.issues)}`, {
      code: 'config_invalid',
      hint: `Fix the keys above in ${source}, then run \`gatehouse config validate ${source}\`.`,
      exit: ExitCode.failure,
      details: { source, issues: result.error.issues.map((i) => ({ path: i.path.map(String), message: i.message, code: i.code })) },
    });
  }
  return result.data;
}

/** Parses YAML (or JSON, which is YAML) text with positions, then validates it. */
export function parseConfigText(text: string, source: string): GatehouseConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    const first = doc.errors[0]!;
    const pos = first.linePos?.[0];
    throw new UserError(`Cannot parse ${source}${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${first.message.split('\n')[0]}`, {
      code: 'config_parse',
      hint: 'Fix the YAML syntax at that position (indentation and quoting are the usual causes).',
    });
  }
  return validateConfig(doc.toJS(), source);
}

export async function loadConfigFile(path: string): Promise<GatehouseConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`Cannot read config file ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, {
      code: 'config_missing',
      hint: code === 'ENOENT' ? 'Check the path, or create one with `gatehouse config export > gatehouse.yaml`.' : 'Check the file permissions.',
    });
  }
  return parseConfigText(text, path);
}

export function configToYaml(config: GatehouseConfig): string {
  return stringify(config, { lineWidth: 0 });
}
