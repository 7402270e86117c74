import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { ExitCode, UserError } from '../../core/errors.js';
import { restBackendSchema, BACKEND_NAME_RE, type RestBackendConfig } from '../../core/config/schema.js';
import { formatIssues } from '../../core/config/load.js';
import { addBackend } from '../../core/backends/registry.js';
import { previewAddBackend } from '../../core/backends/build.js';
import { renderTable } from '../../core/backends/render.js';
import { importOpenApi, type SkippedOperation } from '../../core/openapi/import.js';

interface ImportedTool {
  name: string;
  method: string;
  path: string;
  description?: string;
}

export interface ImportOpenApiResult {
  backend: string;
  baseUrl: string;
  spec: string;
  version: string;
  title?: string;
  dryRun: boolean;
  replaced: boolean;
  tools: ImportedTool[];
  skipped: SkippedOperation[];
  filtered: number;
  warnings: string[];
}

export default class BackendsImportOpenapi extends BaseCommand {
  static override summary = 'Register a REST backend whose tools come from an OpenAPI (3.0/3.1) or Swagger 2.0 document.';
  static override description = [
    'Each kept operation becomes a tool named after its operationId (or method and path), with an input',
    'schema built from its parameters and JSON request body. Only GET and HEAD operations are kept unless',
    '--allow-writes is given. Only references inside the document are resolved; a spec with external',
    '$refs must be bundled into one file first. A --spec URL is fetched through the same network allowlist',
    'as tool calls (gateway.allowedNetworks).',
  ].join('\n');

  static override examples = [
    '<%= config.bin %> <%= command.id %> prom --spec ./prometheus.openapi.yaml --base-url http://prometheus.monitoring.svc:9090',
    '<%= config.bin %> <%= command.id %> am --spec http://alertmanager:9093/api/v2/openapi.yaml --base-url http://alertmanager:9093 --tag alert --tag silence --dry-run',
    '<%= config.bin %> <%= command.id %> pets --spec petstore.json --base-url https://pets.internal --operation "list*" --path "/pets/**"',
  ];

  static override args = {
    name: Args.string({ description: 'Backend name; also the default tool prefix.', required: true }),
  };

  static override flags = {
    spec: Flags.string({ summary: 'OpenAPI document: a file path or an http(s) URL.', required: true }),
    'base-url': Flags.string({ summary: 'Base URL the API is served at (default: the spec\'s first absolute server URL).' }),
    'allow-writes': Flags.boolean({ summary: 'Also import POST, PUT, PATCH and DELETE operations (marked destructive).' }),
    tag: Flags.string({ summary: 'Keep operations with this tag (repeatable).', multiple: true, multipleNonGreedy: true }),
    operation: Flags.string({ summary: 'Keep operations whose operationId matches this glob (repeatable).', multiple: true, multipleNonGreedy: true }),
    path: Flags.string({ summary: 'Keep operations whose path matches this glob; * stays in a segment, ** crosses (repeatable).', multiple: true, multipleNonGreedy: true }),
    prefix: Flags.string({ summary: 'Tool name prefix (default: the backend name).' }),
    'dry-run': Flags.boolean({ summary: 'Print the tools that would be added; change nothing.' }),
    force: Flags.boolean({ char: 'f', summary: 'Replace a backend of the same name.' }),
  };

  async run(): Promise<ImportOpenApiResult> {
    const { args, flags } = await this.parse(BackendsImportOpenapi);
    if (!BACKEND_NAME_RE.test(args.name)) {
      throw new UserError(`"${args.name}" is not a valid backend name.`, { code: 'usage', exit: ExitCode.usage, hint: 'Use letters, digits, "_" or "-", starting with a letter or digit.' });
    }
    let allowedNetworks: string[] | undefined;
    try {
      allowedNetworks = this.store.read().gateway?.allowedNetworks;
    } catch {
      // A broken store is reported when we write; fetching uses the default allowlist.
    }
    const { loadSpec } = await import('../../server/rest/import-spec.js');
    const doc = await loadSpec(flags.spec, { allowedNetworks });
    const result = importOpenApi(doc, {
      allowWrites: flags['allow-writes'],
      tags: flags.tag,
      operations: flags.operation,
      paths: flags.path,
      baseUrl: flags['base-url'],
    });
    // Tool paths already carry the server's path, so the default base is the server URL's origin.
    const baseUrl = flags['base-url'] ?? originOf(result.serverUrl);
    if (!baseUrl) {
      throw new UserError('The spec names no absolute server URL, so Gatehouse needs --base-url.', {
        code: 'missing_flags',
        exit: ExitCode.usage,
        hint: `For example: gatehouse backends import-openapi ${args.name} --spec ${flags.spec} --base-url http://service.namespace.svc:8080`,
      });
    }
    if (!result.tools.length) {
      const why = result.skipped.length ? ` ${result.skipped.length} were skipped (${summariseSkipped(result.skipped)}).` : '';
      throw new UserError(`No operations to import from ${flags.spec}: ${result.filtered} did not match the filters.${why}`, {
        code: 'openapi_empty',
        hint: result.skipped.some((s) => /--allow-writes/.test(s.reason)) ? 'Pass --allow-writes to import write operations, or loosen --tag/--operation/--path.' : 'Loosen --tag/--operation/--path, or check the spec.',
      });
    }
    const config: Record<string, unknown> = {
      type: 'rest',
      baseUrl,
      description: `Imported from ${result.title ? `"${result.title}" (${flags.spec})` : flags.spec}`,
      tools: result.tools,
      ...(flags['allow-writes'] && result.tools.some((t) => t.method !== 'GET' && t.method !== 'HEAD') ? { allowWrites: true } : {}),
      ...(flags.prefix !== undefined ? { prefix: flags.prefix } : {}),
    };
    const parsed = restBackendSchema.safeParse(config);
    if (!parsed.success) {
      throw new UserError(`The imported backend is not valid:\n${formatIssues(`backends.${args.name}`, parsed.error.issues)}`, { code: 'config_invalid', hint: 'Check --base-url (an http or https URL).' });
    }
    const { replaced } = flags['dry-run']
      ? previewAddBackend(this.store.read(), args.name, { force: flags.force })
      : addBackend(this.store, args.name, parsed.data as RestBackendConfig, { force: flags.force });

    const tools = result.tools.map((t) => ({ name: t.name, method: t.method, path: t.path, ...(t.description ? { description: t.description.split('\n')[0] } : {}) }));
    this.log(
      renderTable(
        [
          { header: 'TOOL', get: (t: ImportedTool) => t.name },
          { header: 'METHOD', get: (t: ImportedTool) => t.method },
          { header: 'PATH', get: (t: ImportedTool) => t.path },
          { header: 'DESCRIPTION', get: (t: ImportedTool) => t.description ?? '', shrink: true },
        ],
        tools,
        { maxWidth: process.stdout.isTTY ? process.stdout.columns : undefined },
      ),
    );
    for (const s of result.skipped) this.note(`skipped ${s.method} ${s.path}${s.operationId ? ` (${s.operationId})` : ''}: ${s.reason}`);
    for (const w of result.warnings) this.note(`note: ${w}`);
    this.note(
      flags['dry-run']
        ? `Dry run: would ${replaced ? 'replace' : 'add'} backend "${args.name}" (${baseUrl}) with ${tools.length} tool${tools.length === 1 ? '' : 's'}.`
        : `${replaced ? 'Replaced' : 'Added'} backend "${args.name}" (${baseUrl}) with ${tools.length} tool${tools.length === 1 ? '' : 's'}.`,
    );
    return {
      backend: args.name,
      baseUrl,
      spec: flags.spec,
      version: result.version,
      ...(result.title ? { title: result.title } : {}),
      dryRun: Boolean(flags['dry-run']),
      replaced,
      tools,
      skipped: result.skipped,
      filtered: result.filtered,
      warnings: result.warnings,
    };
  }
}

function summariseSkipped(skipped: SkippedOperation[]): string {
  const writes = skipped.filter((s) => /--allow-writes/.test(s.reason)).length;
  const other = skipped.length - writes;
  return [writes ? `${writes} write${writes === 1 ? '' : 's'}` : '', other ? `${other} unsupported` : ''].filter(Boolean).join(', ');
}

function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
