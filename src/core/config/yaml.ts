import { isMap, isScalar, isSeq, parseDocument, Scalar, type Document, type Node } from 'yaml';
import type { GatehouseConfig } from './schema.js';

const HEADER = [
  ' Gatehouse configuration.',
  ' `gatehouse serve` serves this file; `gatehouse backends add|update|remove` edit it in place,',
  ' keeping comments. Check it with `gatehouse config validate <file>`.',
  ' Secrets are references only: secret:<name> (OS keychain), env:<VAR> or file:/path (a mounted file).',
].join('\n');

/** YAML for a fresh file, with a short header comment. */
export function configToYamlText(config: GatehouseConfig): string {
  const doc = parseDocument('{}');
  doc.contents = doc.createNode(stripUndefined(config)) as typeof doc.contents;
  doc.commentBefore = HEADER;
  return doc.toString({ lineWidth: 0 });
}

/**
 * Writes `config` into an existing YAML text, keeping its comments, key order and formatting
 * wherever the value did not change. Keys that are gone are removed; new keys are appended.
 * This is what makes `gatehouse.yaml` → import → change with the CLI → export round-trip without
 * losing what the person wrote around the values.
 */
export function updateYamlText(existing: string, config: GatehouseConfig): string {
  const doc = parseDocument(existing, { keepSourceTokens: false });
  if (doc.errors.length || !isMap(doc.contents)) return configToYamlText(config);
  syncNode(doc, doc.contents, stripUndefined(config));
  return doc.toString({ lineWidth: 0 });
}

function syncNode(doc: Document, node: Node, value: unknown): Node {
  if (isMap(node) && isPlainObject(value)) {
    const want = value as Record<string, unknown>;
    for (const pair of [...node.items]) {
      const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
      if (!(key in want)) node.delete(pair.key);
    }
    for (const [key, v] of Object.entries(want)) {
      const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === key);
      if (pair && pair.value && typeof pair.value === 'object') {
        pair.value = syncNode(doc, pair.value as Node, v);
      } else if (pair) {
        pair.value = doc.createNode(v);
      } else {
        node.set(key, doc.createNode(v));
      }
    }
    return node;
  }
  if (isSeq(node) && Array.isArray(value)) {
    if (deepEqual(node.toJSON(), value)) return node;
    // Same length: update items in place so per-item comments survive; otherwise rebuild.
    if (node.items.length === value.length) {
      node.items = node.items.map((item, i) => (item && typeof item === 'object' ? syncNode(doc, item as Node, value[i]) : doc.createNode(value[i])));
      return node;
    }
    return carryComments(node, doc.createNode(value) as Node);
  }
  if (isScalar(node) && deepEqual(node.value, value)) return node;
  return carryComments(node, doc.createNode(value) as Node);
}

function carryComments(from: Node, to: Node): Node {
  if (from.commentBefore) to.commentBefore = from.commentBefore;
  if (from.comment) to.comment = from.comment;
  if (isScalar(from) && isScalar(to) && typeof to.value === 'string' && from.type && from.type !== Scalar.PLAIN) to.type = from.type;
  return to;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function stripUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ak = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const bk = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ak.length !== bk.length) return false;
  return ak.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
