import { PLACEHOLDER_RE, templatePlaceholders } from '../../core/config/schema.js';
import { wholePlaceholder } from '../../core/templates/input-schema.js';

export { wholePlaceholder };

export type Args = Record<string, unknown>;

/** A problem with one argument, found before any request is made. */
export interface Violation {
  argument: string;
  message: string;
}

export class ArgumentError extends Error {
  constructor(readonly violations: Violation[]) {
    super(violations.map((v) => `${v.argument}: ${v.message}`).join('; '));
    this.name = 'ArgumentError';
  }
}


function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

function scalarText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/**
 * Interpolates `{arg}` placeholders; `{{`/`}}` are literal braces. Returns undefined when any
 * placeholder's argument is absent, so optional query parameters and headers are simply left out.
 */
export function interpolate(template: string, args: Args, encode: (s: string, name: string) => string = (s) => s): string | undefined {
  let missing = false;
  const out = template.replace(PLACEHOLDER_RE, (match, name: string | undefined) => {
    if (name === undefined) return match[0]!;
    const v = args[name];
    if (!present(v)) {
      missing = true;
      return '';
    }
    return encode(scalarText(v), name);
  });
  return missing ? undefined : out;
}

/** encodeURIComponent leaves !'()* alone; encode them too so no argument character is ever special. */
export function encodePathValue(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Builds the request path. Each argument is percent-encoded as one opaque piece of a segment, so
 * `/`, `?`, `#`, `%2F`, CR/LF and `..` in a value can never add a segment, start a query or change
 * the host; a segment that would come out as `.` or `..` is refused outright.
 */
export function buildPath(template: string, args: Args): string {
  const violations: Violation[] = [];
  for (const name of templatePlaceholders(template)) {
    const v = args[name];
    if (!present(v)) violations.push({ argument: name, message: 'is required (it is part of the URL path)' });
    else if (typeof v === 'object') violations.push({ argument: name, message: 'must be a string or number (it is part of the URL path)' });
    else if (String(v) === '') violations.push({ argument: name, message: 'must not be empty (it is part of the URL path)' });
  }
  if (violations.length) throw new ArgumentError(violations);
  const path = interpolate(template, args, encodePathValue)!;
  const dotted = templatePlaceholders(template).filter((name) => {
    const s = String(args[name]);
    return s === '.' || s === '..';
  });
  if (dotted.length || path.split('/').some((seg) => seg === '.' || seg === '..')) {
    throw new ArgumentError(
      (dotted.length ? dotted : ['(path)']).map((argument) => ({ argument, message: 'must not be "." or ".." (it would change the URL path)' })),
    );
  }
  return path;
}

function encodeQuery(s: string): string {
  return encodeURIComponent(s);
}

/** Renders query templates into an encoded query string (without the leading `?`). */
export function buildQuery(query: Record<string, string | number | boolean> | undefined, args: Args): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [key, template] of Object.entries(query)) {
    if (typeof template !== 'string') {
      parts.push(`${encodeQuery(key)}=${encodeQuery(String(template))}`);
      continue;
    }
    const whole = wholePlaceholder(template);
    if (whole !== undefined) {
      const v = args[whole];
      if (!present(v)) continue;
      const values = Array.isArray(v) ? v : [v];
      for (const item of values) if (present(item)) parts.push(`${encodeQuery(key)}=${encodeQuery(scalarText(item))}`);
      continue;
    }
    const value = interpolate(template, args);
    if (value !== undefined) parts.push(`${encodeQuery(key)}=${encodeQuery(value)}`);
  }
  return parts.join('&');
}

// eslint-disable-next-line no-control-regex
const UNSAFE_HEADER_VALUE = /[\r\n\0]/;

/** Renders header templates. Only headers the tool declares can carry argument values. */
export function buildHeaders(headers: Record<string, string> | undefined, args: Args): Record<string, string> {
  const out: Record<string, string> = {};
  const violations: Violation[] = [];
  for (const [name, template] of Object.entries(headers ?? {})) {
    const value = interpolate(template, args);
    if (value === undefined) continue;
    if (UNSAFE_HEADER_VALUE.test(value)) {
      const arg = templatePlaceholders(template).find((n) => UNSAFE_HEADER_VALUE.test(scalarText(args[n]))) ?? name;
      violations.push({ argument: arg, message: `must not contain CR, LF or NUL (it goes into the ${name} header)` });
      continue;
    }
    out[name.toLowerCase()] = value;
  }
  if (violations.length) throw new ArgumentError(violations);
  return out;
}

const ABSENT = Symbol('absent');

/**
 * Renders a JSON body template: a string that is exactly `{arg}` becomes the argument's value with
 * its type; an object member whose argument is absent is left out; other strings interpolate.
 */
export function buildBody(template: unknown, args: Args): unknown {
  const render = (node: unknown): unknown => {
    if (typeof node === 'string') {
      const whole = wholePlaceholder(node);
      if (whole !== undefined) return present(args[whole]) ? args[whole] : ABSENT;
      const s = interpolate(node, args);
      return s === undefined ? ABSENT : s;
    }
    if (Array.isArray(node)) return node.map(render).filter((v) => v !== ABSENT);
    if (node && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) {
        const r = render(v);
        if (r !== ABSENT) out[k] = r;
      }
      return out;
    }
    return node;
  };
  const r = render(template);
  return r === ABSENT ? undefined : r;
}
