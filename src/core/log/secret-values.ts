/**
 * The exact values this process resolved from secret:/env: references, Cloudflare Access tokens and
 * header values. Pattern rules cannot recognise a password like `correct horse`, but the gateway
 * knows it handed that string to a backend, so every text it emits is scrubbed of it.
 *
 * Module-level on purpose: redaction runs in formatters, error constructors and commands that have
 * no handle on a gateway, and a value resolved anywhere in this process is a secret of this process.
 * The set is bounded (oldest dropped first) so a long-running gateway that resolves fresh tokens
 * cannot grow it without limit.
 */

const MAX_VALUES = 512;
/** Shorter values would redact ordinary words (`on`, `true`, `8080`) everywhere. */
const MIN_LENGTH = 6;

const values = new Set<string>();
let sorted: string[] | undefined;

export function registerSecretValue(value: string | undefined): void {
  if (typeof value !== 'string') return;
  const v = value.trim();
  if (v.length < MIN_LENGTH) return;
  if (values.has(v)) return;
  values.add(v);
  // Header values often carry a scheme: the credential alone is what may show up elsewhere.
  const m = /^(?:Bearer|Basic|Token)\s+(\S{6,})$/i.exec(v);
  if (m && !values.has(m[1]!)) values.add(m[1]!);
  while (values.size > MAX_VALUES) values.delete(values.values().next().value as string);
  sorted = undefined;
}

export function registerSecretValues(record: Record<string, string> | undefined): void {
  for (const v of Object.values(record ?? {})) registerSecretValue(v);
}

/** Replaces every registered value in `input` (longest first, so a value containing another goes whole). */
export function scrubKnownValues(input: string, replacement: string): string {
  if (values.size === 0 || input.length < MIN_LENGTH) return input;
  sorted ??= [...values].sort((a, b) => b.length - a.length);
  let out = input;
  for (const v of sorted) if (out.includes(v)) out = out.split(v).join(replacement);
  return out;
}

export function knownSecretCount(): number {
  return values.size;
}

/** Tests only: forget every value. */
export function clearSecretValues(): void {
  values.clear();
  sorted = undefined;
}
