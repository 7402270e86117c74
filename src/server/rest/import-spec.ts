import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UserError, errorMessage } from '../../core/errors.js';
import { parseSpecText } from '../../core/openapi/import.js';
import { accessDiagnosis, looksLikeHtml } from './diagnose.js';
import { fetchGuardedText } from './http.js';
import { NetworkPolicy, findSsrfError, type LookupFn } from './ssrf.js';

/**
 * Reads an OpenAPI document from a file or an http(s) URL. A URL goes through the SSRF guard with
 * the gateway's allowedNetworks, like any outbound request Gatehouse makes.
 */
export async function loadSpec(source: string, opts: { cwd?: string; allowedNetworks?: string[]; lookup?: LookupFn } = {}): Promise<unknown> {
  if (/^https?:\/\//i.test(source)) {
    let res: Awaited<ReturnType<typeof fetchGuardedText>>;
    try {
      res = await fetchGuardedText(source, { policy: new NetworkPolicy(opts.allowedNetworks), lookup: opts.lookup });
    } catch (e) {
      const blocked = findSsrfError(e);
      if (blocked) throw new UserError(`Cannot fetch ${source}: ${blocked.message}`, { code: 'ssrf_blocked', hint: blocked.hint });
      throw new UserError(`Cannot fetch ${source}: ${errorMessage(e)}`, { code: 'openapi_fetch', hint: 'Check the URL, or download the spec and pass the file.' });
    }
    if (res.location !== undefined) {
      throw new UserError(`${source} redirects (HTTP ${res.status}) to ${res.location || 'another place'}; Gatehouse does not follow redirects for specs.`, {
        code: 'openapi_fetch',
        hint: accessDiagnosis('spec', { status: res.status, headers: { location: res.location }, url: source }) ?? 'Pass the final URL, or download the spec and pass the file.',
      });
    }
    if (res.status < 200 || res.status >= 300) throw new UserError(`Cannot fetch ${source}: HTTP ${res.status}.`, { code: 'openapi_fetch' });
    if (looksLikeHtml(res.contentType, res.text.slice(0, 512))) {
      throw new UserError(`${source} returned an HTML page, not an OpenAPI document.`, { code: 'openapi_fetch', hint: 'Point --spec at the JSON or YAML document (often /openapi.json or /swagger.json), not at the docs page.' });
    }
    if (res.truncated) throw new UserError(`${source} is larger than 20 MB.`, { code: 'openapi_fetch', hint: 'Download it and pass the file.' });
    return parseSpecText(res.text, source);
  }
  const path = resolve(opts.cwd ?? process.cwd(), source);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`Cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : errorMessage(e)}`, { code: 'openapi_missing', hint: 'Pass a file path or an http(s) URL to --spec.' });
  }
  return parseSpecText(text, path);
}
