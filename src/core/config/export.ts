import { UserError } from '../errors.js';
import { parseConfigDocument } from './load.js';
import type { GatehouseConfig } from './schema.js';
import { configToYamlText, stripUndefined, updateYamlText } from './yaml.js';

export interface ExportMerge {
  text: string;
  /** What the target had that the exported config does not, kept as it was: `gateway.port`, `backend old`. */
  kept: string[];
}

/**
 * Export into an existing file without losing what it had: the exported backends replace the
 * same-named ones whole, exported gateway keys override, and everything else in the target
 * (backends and gateway keys it alone has, its comments, header and layout) stays. A target that
 * is not a valid config is refused rather than overwritten. `prune` drops what the config lacks.
 */
export function mergeExportInto(targetText: string, targetPath: string, config: GatehouseConfig, format: 'yaml' | 'json', opts: { prune?: boolean } = {}): ExportMerge {
  let target: Record<string, unknown>;
  try {
    target = parseConfigDocument(targetText, targetPath).data as Record<string, unknown>;
  } catch (e) {
    throw new UserError(`Refusing to overwrite ${targetPath}: it is not a Gatehouse config, so its content would be lost.`, {
      code: 'export_target_invalid',
      hint: `Fix it (\`gatehouse config validate ${targetPath}\` says what is wrong), move it aside, or export to another file or to stdout. Problem: ${(e as Error).message.split('\n')[0]}`,
    });
  }
  const exported = stripUndefined(config) as unknown as Record<string, unknown>;
  if (opts.prune) {
    // Asked for by name: the file becomes the config, keeping its comments where values stay.
    return { text: format === 'json' ? `${JSON.stringify(exported, null, 2)}\n` : updateYamlText(targetText, config), kept: [] };
  }
  const kept: string[] = [];
  const merged: Record<string, unknown> = { ...target, ...exported };

  const tGateway = (target.gateway ?? {}) as Record<string, unknown>;
  const eGateway = (exported.gateway ?? {}) as Record<string, unknown>;
  if (target.gateway !== undefined || exported.gateway !== undefined) {
    merged.gateway = { ...tGateway, ...eGateway };
    for (const k of Object.keys(tGateway)) if (!(k in eGateway)) kept.push(`gateway.${k}`);
  }
  const tBackends = (target.backends ?? {}) as Record<string, unknown>;
  const eBackends = (exported.backends ?? {}) as Record<string, unknown>;
  merged.backends = { ...tBackends, ...eBackends };
  for (const k of Object.keys(tBackends)) if (!(k in eBackends)) kept.push(`backend ${k}`);
  for (const k of Object.keys(target)) if (!['version', 'gateway', 'backends'].includes(k)) kept.push(k);

  const text = format === 'json' ? `${JSON.stringify(merged, null, 2)}\n` : updateYamlText(targetText, merged as unknown as GatehouseConfig);
  return { text, kept };
}

export function exportText(config: GatehouseConfig, format: 'yaml' | 'json'): string {
  return format === 'json' ? `${JSON.stringify(config, null, 2)}\n` : configToYamlText(config);
}
