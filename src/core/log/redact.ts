/**
 * Credential redaction for everything that leaves the process as text: log lines, the dashboard,
 * `--json` output. It is a last line of defence, so it errs on the side of hiding too much: an error
 * message that loses a word is cheap, a leaked token is not.
 */

import { scrubKnownValues } from './secret-values.js';

export const REDACTED = '[REDACTED]';

/** Key names whose values are always hidden, whatever they look like. */
const SENSITIVE_KEY =
  /(?:token|secret|passw(?:or)?d|passphrase|authori[sz]ation|api[-_]?key|access[-_]?key|private[-_]?key|client[-_]?secret|cookie|credential|session[-_]?key|signature)/i;

/** Keys that merely contain a sensitive word but name counts or ids we want to keep. */
const SAFE_KEY = /^(?:tokens?(?:Count|Used|Limit|Total)|maxTokens|max_tokens|inputTokens|outputTokens)$/i;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key) && !SAFE_KEY.test(key);
}

// Every repetition that can backtrack is bounded, so scanning stays linear-ish on hostile input.
// Order matters: the specific forms run before the generic `key=value` one so that an
// `Authorization: Bearer x` header loses the scheme's token, not just the word "Bearer".
const RULES: Array<[RegExp, string | ((...m: string[]) => string)]> = [
  // An Authorization header's value is always a credential, whatever it looks like.
  [
    /\b(authori[sz]ation["']?\s*[:=]\s*["']?)(?:(Bearer|Basic|Token|Digest)\s+)?(?!\[REDACTED\])[^\s"',;}\]]+/gi,
    (_m, head, scheme) => (scheme ? `${head}${REDACTED} ${REDACTED}` : `${head}${REDACTED}`),
  ],
  // An auth scheme in free text, followed by something credential-shaped. "Bearer" and "Basic" take
  // any 8+ character value; "Token" and "Digest" are ordinary words too, so they only count
  // capitalised and before a value that looks like a credential (a digit, an upper-case letter or a
  // token symbol, or 20+ characters): "No Cloudflare Access token named "homelabb"" keeps every word.
  [/\b(Bearer|Basic|bearer|basic|BEARER|BASIC)(\s+)(?!\[REDACTED\])[A-Za-z0-9\-._~+/]{8,}=*/g, (_m, scheme, sp) => `${scheme}${sp}${REDACTED}`],
  [
    /\b(Token|Digest)(\s+)(?!\[REDACTED\])([A-Za-z0-9\-._~+/]{8,}=*)/g,
    (m, scheme, sp, value) => (credentialShaped(value) ? `${scheme}${sp}${REDACTED}` : m),
  ],
  // Flags with a space-separated value: `--api-key abc123`, `--token abc123`. A flag starts a word:
  // the "-token" inside a path such as `/run/secrets/api-token does not exist` is not one.
  [
    /(?<![^\s"'(\[=])(--?[A-Za-z0-9-]{0,32}(?:token|secret|passw(?:or)?d|passphrase|api-?key|access-?key|private-?key|credential)[A-Za-z0-9-]{0,32})(\s+)(?!\[REDACTED\])(?!-)([^\s"']+)/gi,
    (_m, flag, sp) => `${flag}${sp}${REDACTED}`,
  ],
  // Header-style and query/JSON-style `name: value`, `name=value`, `"name":"value"`.
  [
    new RegExp(
      String.raw`(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]{0,64}?(?:token|secret|passw(?:or)?d|passphrase|authori[sz]ation|api[-_]?key|access[-_]?key|private[-_]?key|cookie|credential)[A-Za-z0-9_-]{0,64})(["']?\s*[:=]\s*["']?)(?!\[REDACTED\])([^\s"'&,;}\]]+)`,
      'gi',
    ),
    (_m, key, sep) => `${key}${sep}${REDACTED}`,
  ],
  // Userinfo in URLs: scheme://user:password@host
  [/\b([a-z][a-z0-9+.-]{0,31}:\/\/[^\s/:@]{0,256}:)[^\s/@]{1,512}@/gi, (_m, head) => `${head}${REDACTED}@`],
  // JWTs (three base64url segments, the first one a JSON header).
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // Well-known token shapes: GitHub, GitLab, Slack, OpenAI/Anthropic style, AWS access key ids, Google API keys.
  [
    /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|sk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35})\b/g,
    REDACTED,
  ],
  // Long hex strings (API keys, HMACs). 32+ hex digits with both digits and letters.
  [/(?<![A-Za-z0-9])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{32,}(?![A-Za-z0-9])/gi, REDACTED],
];

function credentialShaped(value: string): boolean {
  return value.length >= 20 || /[0-9A-Z._~+/=-]/.test(value.slice(1));
}

/** Candidate long base64/base64url runs; checked for entropy before being hidden. */
const BASE64_CANDIDATE = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{32,}={0,2}(?![A-Za-z0-9+/_-])/g;

function looksRandom(s: string): boolean {
  const body = s.replace(/=+$/, '');
  if (!/[0-9]/.test(body) || !/[a-z]/.test(body) || !/[A-Z]/.test(body)) return false;
  // Paths and identifiers are made of words; random keys are not. Four or more separator-delimited
  // parts with lowercase runs read as a path or a name.
  if (body.split(/[/_-]/).length >= 4) return false;
  return shannonEntropy(body) >= 4.2;
}

function shannonEntropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

// A cheap gate so the common case (short, ordinary strings) skips the rule set.
const MAYBE_SECRET =
  /bearer|basic|token|digest|secret|passw|passphrase|authori|api[-_]?key|access[-_]?key|private[-_]?key|cookie|credential|:\/\/[^\s/]*@|eyJ|gh[pousr]_|github_pat_|glpat-|xox|sk-|AKIA|AIza|[A-Za-z0-9+/_-]{32,}/i;

/** Longer strings are cut before scanning, which keeps the regex cost bounded on hostile input. */
const MAX_SCAN = 32 * 1024;

/** Hides anything in a string that looks like a credential. */
export function redactString(input: string): string {
  // Values the process resolved come out first, whatever their shape; the rules catch the rest.
  input = scrubKnownValues(input, REDACTED);
  if (input.length < 8 || !MAYBE_SECRET.test(input)) return input;
  let out = input.length > MAX_SCAN ? `${input.slice(0, MAX_SCAN)}…[truncated]` : input;
  for (const [re, replacement] of RULES) {
    out = out.replace(re, replacement as never);
  }
  out = out.replace(BASE64_CANDIDATE, (m) => (looksRandom(m) ? REDACTED : m));
  return out;
}

/**
 * Returns a redacted deep copy: values under sensitive keys are replaced whole, strings are scanned.
 * Cycles are cut, and depth is bounded so a hostile payload cannot make logging expensive.
 */
export function redact<T>(value: T): T {
  return redactValue(value, 0, new WeakSet()) as T;
}

const MAX_DEPTH = 12;

function redactValue(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1, seen));
    if (value instanceof Map) {
      const out = new Map<unknown, unknown>();
      for (const [k, v] of value) {
        out.set(k, typeof k === 'string' && isSensitiveKey(k) ? REDACTED : redactValue(v, depth + 1, seen));
      }
      return out;
    }
    if (value instanceof Error) {
      return { name: value.name, message: redactString(value.message) };
    }
    if (value instanceof Date) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = isSensitiveKey(k) && v !== undefined && v !== null && v !== '' ? REDACTED : redactValue(v, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}
