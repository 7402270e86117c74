/**
 * Local `$ref` resolution. Only `#/...` pointers inside the document are followed: fetching another
 * file or URL named by a spec would let a document make Gatehouse reach internal services.
 */
export class ExternalRefError extends Error {
  constructor(readonly ref: string) {
    super(`external $ref "${ref}"`);
    this.name = 'ExternalRefError';
  }
}

export class BrokenRefError extends Error {
  constructor(readonly ref: string) {
    super(`$ref "${ref}" points at nothing in the document`);
    this.name = 'BrokenRefError';
  }
}

export function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) throw new ExternalRefError(ref);
  if (ref === '#') return doc;
  if (!ref.startsWith('#/')) throw new BrokenRefError(ref);
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !Object.prototype.hasOwnProperty.call(node, key)) throw new BrokenRefError(ref);
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Follows a chain of `$ref`s (a ref to a ref to …) to the first node that is not a bare reference. */
export function follow(doc: unknown, node: unknown, seen = new Set<string>()): unknown {
  let cur = node;
  while (cur && typeof cur === 'object' && typeof (cur as { $ref?: unknown }).$ref === 'string') {
    const ref = (cur as { $ref: string }).$ref;
    if (seen.has(ref)) throw new BrokenRefError(`${ref} (a cycle)`);
    seen.add(ref);
    const { $ref: _r, ...siblings } = cur as Record<string, unknown>;
    const target = resolvePointer(doc, ref);
    cur = Object.keys(siblings).length && target && typeof target === 'object' ? { ...(target as object), ...siblings } : target;
  }
  return cur;
}

const MAX_DEPTH = 24;

/**
 * Inlines every local reference in a schema. A reference back into itself (a tree, a linked list)
 * becomes an unconstrained schema with a note, and very deep nesting is cut off the same way, so
 * the result is always finite.
 */
export function inlineRefs(doc: unknown, node: unknown, stack: string[] = [], depth = 0): unknown {
  if (Array.isArray(node)) return node.map((n) => inlineRefs(doc, n, stack, depth + 1));
  if (!node || typeof node !== 'object') return node;
  if (depth > MAX_DEPTH) return { description: '(nested too deeply to inline; any value)' };
  const obj = node as Record<string, unknown>;
  if (typeof obj.$ref === 'string') {
    const ref = obj.$ref;
    const { $ref: _r, ...siblings } = obj;
    if (stack.includes(ref)) {
      const name = ref.split('/').pop();
      return { description: `(recursive ${name}; any value)`, ...pick(siblings, ['description']) };
    }
    const target = inlineRefs(doc, resolvePointer(doc, ref), [...stack, ref], depth + 1);
    if (!Object.keys(siblings).length) return target;
    return { ...(target as object), ...(inlineRefs(doc, siblings, stack, depth + 1) as object) };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = inlineRefs(doc, v, stack, depth + 1);
  return out;
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (k in o) out[k] = o[k];
  return out;
}
