import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { formatIssues } from '../config/load.js';
import { restToolSchema, writeIssue, type RestBackendConfig, type RestToolConfig } from '../config/schema.js';
import { defaultTemplatesDir, loadTemplate } from './index.js';

export interface RestToolSourceOptions {
  /** Folder that a relative toolsFile is resolved against (the config file's folder; default cwd). */
  baseDir?: string;
  templatesDir?: string;
}

export interface SourcedRestTool {
  tool: RestToolConfig;
  source: 'template' | 'file' | 'inline';
}

const toolsFileSchema = z.union([z.array(restToolSchema), z.strictObject({ tools: z.array(restToolSchema) })]);

export function resolveToolsFile(file: string, baseDir = process.cwd()): string {
  return isAbsolute(file) ? file : resolve(baseDir, file);
}

/** Reads a tools file (a `tools:` list or a bare list), validated like inline tools. */
export function readToolsFile(path: string): RestToolConfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`Cannot read tools file ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, {
      code: 'tools_file_missing',
      hint: 'Check the toolsFile path; a relative path is resolved against the folder of the config file.',
    });
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    const first = doc.errors[0]!;
    const pos = first.linePos?.[0];
    throw new UserError(`Cannot parse ${path}${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${first.message.split('\n')[0]}`, {
      code: 'config_parse',
      hint: 'Fix the YAML syntax at that position.',
    });
  }
  const result = toolsFileSchema.safeParse(doc.toJS());
  if (!result.success) {
    // Report against the object form, which is what people write.
    const obj = z.strictObject({ tools: z.array(restToolSchema) }).safeParse(Array.isArray(doc.toJS()) ? { tools: doc.toJS() } : doc.toJS());
    const issues = obj.success ? result.error.issues : obj.error.issues;
    throw new UserError(`Invalid tools file ${path}:\n${formatIssues(path, issues)}`, {
      code: 'config_invalid',
      hint: `Fix the entries above in ${path}. Each tool needs a name and a path; see \`gatehouse templates show prometheus\` for examples.`,
    });
  }
  return Array.isArray(result.data) ? result.data : result.data.tools;
}

/**
 * Every tool of a rest backend: its template's, then its toolsFile's, then inline ones; a later
 * tool with the same name replaces an earlier one. A template's write tools are left out unless the
 * backend allows writes; other write tools are refused then, so registration and config load fail
 * the same way.
 */
export function loadRestTools(config: RestBackendConfig, opts: RestToolSourceOptions = {}): SourcedRestTool[] {
  const byName = new Map<string, SourcedRestTool>();
  if (config.template) {
    // A template's write tools are off unless the backend allows writes (then they are guarded by default).
    for (const tool of loadTemplate(config.template, opts.templatesDir ?? defaultTemplatesDir()).tools) {
      if (config.allowWrites || !writeIssue(tool, false)) byName.set(tool.name, { tool, source: 'template' });
    }
  }
  if (config.toolsFile) {
    for (const tool of readToolsFile(resolveToolsFile(config.toolsFile, opts.baseDir))) byName.set(tool.name, { tool, source: 'file' });
  }
  for (const tool of config.tools ?? []) byName.set(tool.name, { tool, source: 'inline' });
  const tools = [...byName.values()];
  const writes = tools.map((t) => writeIssue(t.tool, config.allowWrites)).filter((x): x is string => Boolean(x));
  if (writes.length) {
    throw new UserError(`Refusing write tools: ${writes.join('; ')}.`, {
      code: 'rest_writes_refused',
      hint: 'Remove those tools, or set allowWrites: true on the backend (pass --allow-writes) if agents may change this service.',
      details: { tools: tools.filter((t) => writeIssue(t.tool, config.allowWrites)).map((t) => t.tool.name) },
    });
  }
  return tools;
}
