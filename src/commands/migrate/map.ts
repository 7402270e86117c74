import { readFile } from 'node:fs/promises';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import type { BackendConfig } from '../../core/config/schema.js';
import { callAdmin } from '../../core/admin/index.js';
import { ExitCode, UserError, errorMessage } from '../../core/errors.js';
import {
  MAP_FORMATS,
  buildMap,
  detectMapFormat,
  formatMap,
  summarizeMap,
  writeFileAtomic,
  type GatehouseNameRule,
  type MapFormat,
  type MapSummary,
  type MigrationMap,
  type OldNameRule,
} from '../../core/migrate/index.js';
import { CONTEXT_FORGE_SEPARATORS, DEFAULT_CONTEXT_FORGE_SEPARATOR, DEFAULT_NAME_SEPARATOR, isContextForgeSeparator } from '../../core/naming/index.js';
import { parseServerRenames } from '../../core/migrate/report.js';
import { checkOldUrl, writeMigrationRecord } from '../../core/migrate/record.js';
import { resolve } from 'node:path';

const GATEHOUSE_SEPARATORS = ['_', '-', '__', '.'] as const;

const usage = (message: string, hint: string, details?: Record<string, unknown>) =>
  new UserError(message, { code: 'usage', exit: ExitCode.usage, hint, ...(details ? { details } : {}) });

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Tool names from a file: a JSON array of names or of `{name}` objects, a `tools/list` result
 * (bare or inside a JSON-RPC response), or plain text with one name per line (`#` starts a comment).
 */
export function parseNameList(text: string, file: string): string[] {
  const body = text.replace(/^\uFEFF/, '');
  const first = body.trimStart()[0];
  if (first === '[' || first === '{') {
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch (e) {
      throw new UserError(`${file} is not valid JSON: ${errorMessage(e)}`, { code: 'migrate_names_invalid', hint: 'Give a JSON array of names, a tools/list result, or one name per line.' });
    }
    const d = doc as { tools?: unknown; result?: { tools?: unknown } };
    const list = Array.isArray(doc) ? doc : Array.isArray(d.tools) ? d.tools : Array.isArray(d.result?.tools) ? d.result.tools : undefined;
    if (!list) {
      throw new UserError(`${file} has no list of tools.`, { code: 'migrate_names_invalid', hint: 'Give a JSON array of names or of {"name": …} objects, or a tools/list result ({"tools": [...]}).' });
    }
    return list.map((item, i) => {
      const name = typeof item === 'string' ? item : (item as { name?: unknown } | null)?.name;
      if (typeof name !== 'string' || !name.trim()) {
        throw new UserError(`${file}: item ${i} has no name.`, { code: 'migrate_names_invalid', hint: 'Each item must be a string or an object with a "name" string.' });
      }
      return name.trim();
    });
  }
  return body
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

async function readNameList(file: string, what: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UserError(`Cannot read ${what} ${file}: ${errorMessage(e)}`, { code: 'migrate_file_unreadable' });
  }
  return parseNameList(text, file);
}

/** Connects to a registered backend the way the gateway would and lists its tools' native names. */
async function liveToolNames(name: string, config: BackendConfig, dir: string): Promise<string[]> {
  const { openSecrets } = await import('../../core/secrets/manager.js');
  const secrets = openSecrets({ dir });
  if (config.type === 'rest') {
    const { loadRestTools } = await import('../../core/templates/rest-tools.js');
    return loadRestTools(config).map((t) => t.tool.name);
  }
  const { McpUpstream } = await import('../../server/upstream/mcp.js');
  const { resolveRecord } = await import('../../core/secrets/resolve.js');
  const { cfAccessHeaders } = await import('../../core/cfaccess/headers.js');
  const upstream = new McpUpstream(name, { ...config, disabled: false }, {
    refreshIntervalMs: 0,
    resolveEnv: (env) => resolveRecord(env, { store: secrets }),
    resolveHeaders: async (c) => ({
      ...(await resolveRecord(c.headers, { store: secrets })),
      ...(c.cfAccessToken ? await cfAccessHeaders(c.cfAccessToken, secrets) : {}),
    }),
    backoff: { initialMs: 3_600_000, maxMs: 3_600_000, resetAfterMs: 3_600_000 },
  });
  try {
    await upstream.start();
    if (upstream.state !== 'ready') {
      throw new UserError(`Backend "${name}" failed: ${upstream.lastError ?? 'unknown error'}`, {
        code: 'backend_failed',
        hint: `See \`gatehouse backends test ${name}\`, or give the names with --tools <file>.`,
      });
    }
    return upstream.catalog().tools.map((t) => t.name);
  } finally {
    await upstream.stop();
  }
}

/** Native names of one backend in the running gateway, when its admin status lists them. */
async function gatewayToolNames(dir: string, backend: string | undefined): Promise<{ names: string[]; backend: string; url: string }> {
  const status = await callAdmin(dir, 'GET /status');
  const backends = status.backends;
  const chosen = backend ? backends.find((b) => b.name === backend) : backends.length === 1 ? backends[0] : undefined;
  if (!chosen) {
    const known = backends.map((b) => b.name);
    throw usage(
      backend ? `The running gateway has no backend named "${backend}".` : 'The running gateway serves several backends; say which one.',
      known.length ? `Pass --backend <name>; it serves: ${known.join(', ')}.` : 'It serves no backends.',
      { known },
    );
  }
  // An older gateway's status had no toolNames; the contract says string[], the wire may disagree.
  if (!Array.isArray(chosen.toolNames) || !chosen.toolNames.every((n: unknown) => typeof n === 'string')) {
    throw new UserError("The running gateway's admin API does not list native tool names yet.", {
      code: 'gateway_no_tool_names',
      hint: `Use --backend ${chosen.name} without --gateway (connects to the backend directly), or --tools <file>.`,
    });
  }
  return { names: chosen.toolNames, backend: chosen.name, url: status.url ?? '' };
}

interface Report {
  collisions: Array<{ old: string; natives: string[] }>;
  doublePrefixes: Array<{ old: string; native: string }>;
  slugChanges: Array<{ old: string; native: string; changes: string[] }>;
  unchanged: string[];
  newNameAdjusted: Array<{ native: string; new: string; notes: string[] }>;
  chains: Array<{ old: string; new: string }>;
  knownOldUnexplained: string[];
}

function reportOf(map: MigrationMap): Report {
  const collisions = new Map<string, string[]>();
  for (const e of map.entries) if (e.status === 'ambiguous') collisions.set(e.old, [...(collisions.get(e.old) ?? []), e.native]);
  return {
    collisions: [...collisions].map(([old, natives]) => ({ old, natives })),
    doublePrefixes: map.entries.filter((e) => e.notes.includes('double-prefix')).map((e) => ({ old: e.old, native: e.native })),
    slugChanges: map.entries
      .filter((e) => e.notes.some((n) => n.startsWith('slug-')))
      .map((e) => ({ old: e.old, native: e.native, changes: e.notes.filter((n) => n.startsWith('slug-')).map((n) => n.slice(5)) })),
    unchanged: map.entries.filter((e) => e.status === 'unchanged').map((e) => e.native),
    newNameAdjusted: map.entries
      .filter((e) => e.notes.some((n) => n === 'sanitized' || n === 'shortened' || n === 'disambiguated'))
      .map((e) => ({ native: e.native, new: e.new, notes: e.notes.filter((n) => n === 'sanitized' || n === 'shortened' || n === 'disambiguated') })),
    chains: map.entries.filter((e) => e.notes.includes('chain')).map((e) => ({ old: e.old, new: e.new })),
    knownOldUnexplained: map.knownOld?.unexplained ?? [],
  };
}

export interface MapResult {
  format: MapFormat;
  output?: string;
  /** --old-url, recorded for `clients install --repoint`. */
  oldUrls?: string[];
  summary: MapSummary;
  report: Report;
  map: MigrationMap;
}

export default class MigrateMap extends BaseCommand {
  static override summary = 'Build a map from old tool names (Context Forge or another naming policy) to Gatehouse names.';
  static override description = [
    'Native tool names come from a file (--tools), a registered backend (--backend, connected live), or the running gateway (--gateway). Old names are computed with Context Forge\'s slug rules (--from contextforge) or a Gatehouse prefix policy (--from gatehouse). New names follow Gatehouse\'s policy: --to-prefix and --to-separator, by default the backend\'s prefix (its name) and separator (_).',
    '\n\nNever guesses: native names that mangle to the same old name are marked ambiguous and never rewritten. Collisions, double prefixes, slug changes beyond _→SEP, unchanged names and --known-old names the map cannot explain are reported on stderr (and under "report" with --json). The output is stable and sorted, with a header that records the command line.',
  ].join('');

  static override examples = [
    '<%= config.bin %> <%= command.id %> --from contextforge --gateway-name Monolith --tools tools.json --to-prefix monolith -o tool-map.yaml',
    '<%= config.bin %> <%= command.id %> --from contextforge --gateway-name monolith --separator _ --backend monolith --server-rename context-forge=monolith',
    '<%= config.bin %> <%= command.id %> --from gatehouse --prefix mono --separator - --backend monolith --format csv',
  ];

  static override flags = {
    from: Flags.option({ options: ['contextforge', 'gatehouse'] as const, summary: 'How the old names were made.', required: true })(),
    'gateway-name': Flags.string({ summary: 'Context Forge gateway name whose slug prefixed the tools.', helpGroup: 'OLD NAMES' }),
    separator: Flags.string({ summary: `Old separator: contextforge ${CONTEXT_FORGE_SEPARATORS.join(' ')} (default -; write --separator=-- for the double dash); gatehouse ${GATEHOUSE_SEPARATORS.join(' ')} (default _).`, helpGroup: 'OLD NAMES' }),
    prefix: Flags.string({ summary: 'Old Gatehouse prefix (with --from gatehouse; "" for bare names).', helpGroup: 'OLD NAMES' }),
    tools: Flags.string({ summary: 'File of native tool names: JSON array, tools/list result, or one per line.', helpGroup: 'SOURCE' }),
    backend: Flags.string({ summary: 'Registered backend: connect and list its tools (also sets the default new naming).', helpGroup: 'SOURCE' }),
    gateway: Flags.boolean({ summary: 'Take the native names from the running gateway (with --backend when it serves several).', helpGroup: 'SOURCE' }),
    'to-prefix': Flags.string({ summary: 'New prefix (default: the backend\'s prefix, i.e. its name; "" for bare names).', helpGroup: 'NEW NAMES' }),
    'to-separator': Flags.string({ summary: `New separator: ${GATEHOUSE_SEPARATORS.join(' ')} (default: the backend's, else _).`, helpGroup: 'NEW NAMES' }),
    'server-rename': Flags.string({ summary: 'Rename an MCP server in mcp__<server>__ forms and .mcp.json, old=new (repeatable).', multiple: true, multipleNonGreedy: true, helpGroup: 'NEW NAMES' }),
    'known-old': Flags.string({ summary: 'File of old names seen in the wild; lists those the map cannot explain.' }),
    format: Flags.option({ options: MAP_FORMATS, summary: 'Output format (default: from the --output name, else yaml).' })(),
    output: Flags.string({ char: 'o', summary: 'Write the map to this file (atomically) instead of stdout.' }),
    'old-url': Flags.string({ summary: 'The old gateway\'s endpoint as clients name it (repeatable); recorded so `clients install` can repoint entries that still use it.', multiple: true, multipleNonGreedy: true }),
  };

  async run(): Promise<MapResult> {
    const { flags } = await this.parse(MigrateMap);
    const oldUrls = (flags['old-url'] ?? []).map(checkOldUrl);

    let from: OldNameRule;
    if (flags.from === 'contextforge') {
      if (flags.prefix !== undefined) throw usage('--prefix goes with --from gatehouse.', 'For Context Forge names use --gateway-name <name>.');
      if (flags['gateway-name'] === undefined) {
        throw usage('Missing --gateway-name: the Context Forge gateway name whose slug prefixed the tools.', 'For example: gatehouse migrate map --from contextforge --gateway-name Monolith --tools tools.json --to-prefix monolith', { missing: ['gateway-name'] });
      }
      const separator = flags.separator ?? DEFAULT_CONTEXT_FORGE_SEPARATOR;
      if (!isContextForgeSeparator(separator)) throw usage(`--separator "${separator}" is not one Context Forge accepts.`, `Use one of: ${CONTEXT_FORGE_SEPARATORS.join(' ')}`);
      from = { kind: 'contextforge', gatewayName: flags['gateway-name']!, separator };
    } else {
      if (flags['gateway-name'] !== undefined) throw usage('--gateway-name goes with --from contextforge.', 'For Gatehouse names use --prefix <old prefix> --separator <sep>.');
      if (flags.prefix === undefined) {
        throw usage('Missing --prefix: the old Gatehouse prefix ("" for bare names).', 'For example: gatehouse migrate map --from gatehouse --prefix mono --separator _ --backend monolith', { missing: ['prefix'] });
      }
      const separator = flags.separator ?? DEFAULT_NAME_SEPARATOR;
      if (!(GATEHOUSE_SEPARATORS as readonly string[]).includes(separator)) throw usage(`--separator "${separator}" is not a Gatehouse separator.`, `Use one of: ${GATEHOUSE_SEPARATORS.join(' ')}`);
      from = { kind: 'gatehouse', prefix: flags.prefix!, separator };
    }

    if (!flags.tools && !flags.backend && !flags.gateway) {
      throw usage('Say where the native tool names come from: --tools <file>, --backend <name> or --gateway.', 'For example: gatehouse migrate map --from contextforge --gateway-name Monolith --backend monolith', {
        missing: ['tools', 'backend', 'gateway'],
      });
    }
    if (flags.tools && flags.gateway) throw usage('Give either --tools or --gateway, not both.', 'Both name where the native tool names come from.');
    const serverRenames = parseServerRenames(flags['server-rename']);

    // The backend's own naming policy is the default target, as the gateway would expose it.
    let backendConfig: BackendConfig | undefined;
    if (flags.backend && !flags.gateway) backendConfig = this.store.getBackend(flags.backend);
    else if (flags.backend && flags.gateway) backendConfig = this.store.read().backends[flags.backend];

    let natives: string[];
    let source: string;
    let backendName = flags.backend;
    if (flags.tools) {
      natives = await readNameList(flags.tools, 'the tools file');
      source = flags.tools;
    } else if (flags.gateway) {
      const g = await gatewayToolNames(this.store.dir, flags.backend);
      natives = g.names;
      backendName = g.backend;
      backendConfig ??= this.store.read().backends[g.backend];
      source = `gateway:${g.backend}`;
    } else {
      this.note(`Listing the tools of ${flags.backend}…`);
      natives = await liveToolNames(flags.backend!, backendConfig!, this.store.dir);
      source = `backend:${flags.backend}`;
    }
    if (!natives.length) throw new UserError(`No tool names in ${source}.`, { code: 'migrate_no_names', hint: 'Check the source lists the backend\'s tools.' });

    const toPrefix = flags['to-prefix'] ?? backendConfig?.prefix ?? backendName;
    if (toPrefix === undefined) {
      throw usage('Missing --to-prefix: without a backend there is no default for the new names.', 'Pass the prefix Gatehouse exposes the tools under (usually the backend name), e.g. --to-prefix monolith, or --backend <name>.', { missing: ['to-prefix'] });
    }
    const toSeparator = flags['to-separator'] ?? backendConfig?.separator ?? this.gatewaySeparator() ?? DEFAULT_NAME_SEPARATOR;
    if (!(GATEHOUSE_SEPARATORS as readonly string[]).includes(toSeparator)) throw usage(`--to-separator "${toSeparator}" is not a Gatehouse separator.`, `Use one of: ${GATEHOUSE_SEPARATORS.join(' ')}`);
    const to: GatehouseNameRule = { prefix: toPrefix, separator: toSeparator };

    const knownOld = flags['known-old'] ? await readNameList(flags['known-old'], 'the known-old file') : undefined;
    const map = buildMap({
      natives,
      from,
      to,
      serverRenames: Object.fromEntries(serverRenames),
      ...(knownOld ? { knownOld, knownOldSource: flags['known-old'] } : {}),
      source,
      command: ['gatehouse', 'migrate', 'map', ...this.argv].map(shellQuote).join(' '),
    });
    const format = flags.format ?? (flags.output ? detectMapFormat('', flags.output) : 'yaml');
    const text = formatMap(map, format);

    if (flags.output) await writeFileAtomic(flags.output, text);
    else if (!this.jsonEnabled()) process.stdout.write(text);
    if (oldUrls.length) {
      await writeMigrationRecord(this.store.dir, { oldUrls, ...(flags.output ? { map: resolve(flags.output) } : {}) });
      this.note(`Recorded the old gateway URL${oldUrls.length === 1 ? '' : 's'} ${oldUrls.join(', ')}: \`gatehouse clients install\` offers to repoint client entries that still use ${oldUrls.length === 1 ? 'it' : 'them'}.`);
    }

    const result: MapResult = { format, ...(flags.output ? { output: flags.output } : {}), ...(oldUrls.length ? { oldUrls } : {}), summary: summarizeMap(map), report: reportOf(map), map };
    if (!this.jsonEnabled()) this.explain(result);
    return result;
  }

  private gatewaySeparator(): string | undefined {
    if (!this.store.exists()) return undefined;
    try {
      return this.store.read().gateway?.separator;
    } catch {
      return undefined;
    }
  }

  private explain({ summary: s, report: r, output }: MapResult): void {
    this.note(
      `Mapped ${s.natives} native name${s.natives === 1 ? '' : 's'}: ${s.renamed} renamed, ${s.unchanged} unchanged, ${s.ambiguous} ambiguous` +
        `${output ? `; wrote ${output}` : ''}.`,
    );
    const section = (title: string, lines: string[]) => {
      if (!lines.length) return;
      this.note(title);
      for (const l of lines) this.note(`  ${l}`);
    };
    section('Collisions (several tools share one old name; never rewritten, rename by hand):', r.collisions.map((c) => `${c.old} ← ${c.natives.join(', ')}`));
    section('Double prefixes (the native name already starts with the gateway name):', r.doublePrefixes.map((d) => `${d.old} ← ${d.native}`));
    section('Slug changes beyond separators (check these old names by eye):', r.slugChanges.map((c) => `${c.old} ← ${c.native} (${c.changes.join(', ')})`));
    section('Unchanged (old and new names are the same):', r.unchanged);
    section('New names adjusted to fit the exposed-name rules:', r.newNameAdjusted.map((a) => `${a.native} → ${a.new} (${a.notes.join(', ')})`));
    section('Chains (a new name is also an old name; apply would not be idempotent):', r.chains.map((c) => `${c.old} → ${c.new}`));
    section('Known old names the map cannot explain (another gateway, a removed tool, or a typo):', r.knownOldUnexplained);
  }
}
