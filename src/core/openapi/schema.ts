type Json = Record<string, unknown>;

const DROP = new Set(['discriminator', 'xml', 'externalDocs', 'example', 'nullable', 'x-nullable', 'collectionFormat', 'allowEmptyValue']);
const SUBSCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
const SUBSCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const SUBSCHEMA_ONE = ['items', 'additionalProperties', 'not', 'contains', 'propertyNames', 'if', 'then', 'else', 'unevaluatedProperties', 'unevaluatedItems', 'additionalItems'];

/**
 * Converts an OpenAPI 3.0 / Swagger 2.0 schema object (already $ref-free) to JSON Schema 2020-12:
 * `nullable` and `x-nullable` become a null type, boolean exclusive bounds become numbers, `example`
 * becomes `examples`, vendor extensions and OpenAPI-only keywords are dropped. 3.1 schemas are
 * JSON Schema already and pass through the same walk unchanged in meaning.
 */
export function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const s = node as Json;
  const out: Json = {};
  for (const [k, v] of Object.entries(s)) {
    if (DROP.has(k) || k.startsWith('x-')) continue;
    if (SUBSCHEMA_MAPS.includes(k) && v && typeof v === 'object' && !Array.isArray(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([pk, pv]) => [pk, toJsonSchema(pv)]));
    } else if (SUBSCHEMA_LISTS.includes(k) && Array.isArray(v)) {
      out[k] = v.map(toJsonSchema);
    } else if (SUBSCHEMA_ONE.includes(k) && v && typeof v === 'object') {
      out[k] = Array.isArray(v) ? v.map(toJsonSchema) : toJsonSchema(v);
    } else {
      out[k] = v;
    }
  }
  if (s.example !== undefined && out.examples === undefined) out.examples = [s.example];
  if (typeof s.exclusiveMinimum === 'boolean') {
    delete out.exclusiveMinimum;
    if (s.exclusiveMinimum && typeof s.minimum === 'number') {
      out.exclusiveMinimum = s.minimum;
      delete out.minimum;
    }
  }
  if (typeof s.exclusiveMaximum === 'boolean') {
    delete out.exclusiveMaximum;
    if (s.exclusiveMaximum && typeof s.maximum === 'number') {
      out.exclusiveMaximum = s.maximum;
      delete out.maximum;
    }
  }
  if (out.type === 'file') out.type = 'string';
  if (s.nullable === true || s['x-nullable'] === true) return nullable(out);
  return out;
}

function nullable(s: Json): Json {
  if (typeof s.type === 'string') {
    const withNull: Json = { ...s, type: [s.type, 'null'] };
    if (Array.isArray(s.enum) && !s.enum.includes(null)) withNull.enum = [...s.enum, null];
    return withNull;
  }
  if (Array.isArray(s.type)) return s.type.includes('null') ? s : { ...s, type: [...s.type, 'null'] };
  return { anyOf: [s, { type: 'null' }] };
}
