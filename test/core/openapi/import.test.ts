import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { globToRegExp, importOpenApi, parseSpecText, toolNameFor } from '../../../src/core/openapi/import.js';
import { compileRestTool } from '../../../src/server/rest/tools.js';

const fixture = (f: string) => parseSpecText(readFileSync(new URL(`../../fixtures/rest/openapi/${f}`, import.meta.url), 'utf8'), f);

/** An OpenAPI 3.0 document with the awkward shapes real specs contain. */
const petstore30 = {
  openapi: '3.0.3',
  info: { title: 'Pets', version: '1' },
  servers: [{ url: '/v2' }],
  paths: {
    '/pets': {
      get: {
        operationId: 'listPets',
        tags: ['pets'],
        summary: 'List pets',
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', format: 'int32', minimum: 1, maximum: 100, exclusiveMaximum: true } },
          { name: 'status', in: 'query', schema: { type: 'array', items: { type: 'string', enum: ['available', 'sold'] } }, explode: false },
          { name: 'X-Request-Id', in: 'header', schema: { type: 'string' } },
          { name: 'Authorization', in: 'header', schema: { type: 'string' } },
          { name: 'filter', in: 'query', style: 'deepObject', schema: { type: 'object' } },
        ],
      },
      post: {
        operationId: 'createPet',
        tags: ['pets'],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/NewPet' } } } },
      },
    },
    '/pets/{petId}': {
      parameters: [{ $ref: '#/components/parameters/PetId' }],
      get: {
        summary: 'Get a pet',
        deprecated: true,
        parameters: [{ name: 'petId', in: 'path', required: true, description: 'Overridden at operation level', schema: { type: 'integer', format: 'int64' } }],
      },
      delete: { operationId: 'deletePet' },
    },
    '/pets/{petId}/photos': {
      put: {
        operationId: 'uploadPhoto',
        parameters: [{ $ref: '#/components/parameters/PetId' }],
        requestBody: { required: true, content: { 'multipart/form-data': { schema: { type: 'object' } } } },
      },
    },
    '/owners/{ownerId}/pets': { get: { operationId: 'ownerPets' } },
    '/external': { get: { operationId: 'external', parameters: [{ $ref: 'https://evil.example/params.yaml#/Id' }] } },
    '/broken': { get: { operationId: 'broken', parameters: [{ $ref: '#/components/parameters/Nope' }] } },
    '/tree': {
      get: { operationId: 'getTree', parameters: [{ name: 'depth', in: 'query', content: { 'application/json': { schema: { type: 'integer' } } } }] },
      put: { operationId: 'putTree', requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Node' } } } } },
    },
    '/search': {
      post: {
        operationId: 'searchPets',
        tags: ['search'],
        requestBody: { content: { 'application/json': { schema: { oneOf: [{ $ref: '#/components/schemas/ByName' }, { $ref: '#/components/schemas/ByTag' }] } } } },
      },
    },
  },
  components: {
    parameters: { PetId: { $ref: '#/components/parameters/PetIdBase' }, PetIdBase: { name: 'petId', in: 'path', required: true, schema: { type: 'string' } } },
    schemas: {
      NewPet: { allOf: [{ $ref: '#/components/schemas/PetBase' }, { type: 'object', required: ['name'], properties: { name: { type: 'string' } } }] },
      PetBase: { type: 'object', properties: { tag: { type: 'string', nullable: true, example: 'dog' }, age: { type: 'integer', nullable: true, enum: [1, 2] } } },
      Node: { type: 'object', properties: { value: { type: 'string' }, children: { type: 'array', items: { $ref: '#/components/schemas/Node' } } } },
      ByName: { type: 'object', required: ['name'], properties: { name: { type: 'string' } }, additionalProperties: false },
      ByTag: { type: 'object', required: ['tag'], properties: { tag: { type: 'string' } }, additionalProperties: false },
    },
  },
};

describe('importOpenApi (3.0 shapes)', () => {
  const r = importOpenApi(petstore30);
  const byName = Object.fromEntries(r.tools.map((t) => [t.name, t]));

  it('keeps GET operations, reports writes and unsupported operations with reasons', () => {
    expect(r.version).toBe('3.0');
    expect(r.tools.map((t) => t.name)).toEqual(['listPets', 'get_pets_by_petid', 'ownerPets', 'getTree']);
    const reasons = Object.fromEntries(r.skipped.map((s) => [`${s.method} ${s.path}`, s.reason]));
    expect(reasons['POST /pets']).toMatch(/write; pass --allow-writes/);
    expect(reasons['DELETE /pets/{petId}']).toMatch(/write/);
    expect(reasons['GET /external']).toMatch(/external \$ref "https:\/\/evil\.example\/params\.yaml#\/Id", refused/);
    expect(reasons['GET /broken']).toMatch(/points at nothing/);
  });

  it('puts the server path in front and maps query, header and array styles', () => {
    const t = byName.listPets!;
    expect(t.path).toBe('/v2/pets');
    expect(t.query).toEqual({ limit: '{limit}', status: '{status}' });
    expect(t.headers).toEqual({ 'X-Request-Id': '{X-Request-Id}' });
    const props = (t.inputSchema as { properties: Record<string, Record<string, unknown>> }).properties;
    expect(props.limit).toEqual({ type: 'integer', format: 'int32', minimum: 1, exclusiveMaximum: 100 });
    expect(props.status).toMatchObject({ type: 'string', description: 'Comma-separated list of available, sold.' });
    expect(props).not.toHaveProperty('Authorization');
    expect(props).not.toHaveProperty('filter');
    expect(r.warnings.join('\n')).toMatch(/left out the "Authorization" header parameter/);
    expect(t.annotations).toEqual({ title: 'List pets' });
  });

  it('operation parameters override path-level ones; names come from method and path when there is no operationId', () => {
    const t = byName.get_pets_by_petid!;
    expect(t.path).toBe('/v2/pets/{petId}');
    expect(t.inputSchema).toMatchObject({ properties: { petId: { type: 'integer', format: 'int64' } }, required: ['petId'] });
    expect(t.description).toBe('(Deprecated) Get a pet');
  });

  it('a path variable without a declaration becomes a required string, with a warning', () => {
    expect(byName.ownerPets!.inputSchema).toMatchObject({ properties: { ownerId: { type: 'string' } }, required: ['ownerId'] });
    expect(r.warnings.join('\n')).toMatch(/\{ownerId\} has no parameter declaration/);
  });

  it('recursive schemas are cut off instead of looping; a parameter may carry its schema in content', () => {
    const put = importOpenApi(petstore30, { allowWrites: true }).tools.find((t) => t.name === 'putTree')!;
    const body = (put.inputSchema as { properties: { body: { properties: { children: { items: unknown } } } } }).properties.body;
    expect(body.properties.children.items).toEqual({ description: '(recursive Node; any value)' });
    expect(byName.getTree!.inputSchema).toMatchObject({ properties: { depth: { type: 'integer' } } });
  });

  it('with allowWrites: JSON bodies (allOf, nullable, oneOf) become a body argument; multipart is skipped', () => {
    const w = importOpenApi(petstore30, { allowWrites: true });
    const create = w.tools.find((t) => t.name === 'createPet')!;
    expect(create).toMatchObject({ method: 'POST', path: '/v2/pets', body: '{body}', inputSchema: { required: ['body'] } });
    const body = (create.inputSchema as { properties: { body: { allOf: Array<Record<string, unknown>> } } }).properties.body;
    expect(body.allOf[0]).toEqual({ type: 'object', properties: { tag: { type: ['string', 'null'], examples: ['dog'] }, age: { type: ['integer', 'null'], enum: [1, 2, null] } } });
    expect(w.tools.find((t) => t.name === 'deletePet')).toMatchObject({ method: 'DELETE', path: '/v2/pets/{petId}' });
    expect(w.skipped.find((s) => s.operationId === 'uploadPhoto')!.reason).toMatch(/multipart\/form-data.*only JSON bodies/);
    const search = compileRestTool(w.tools.find((t) => t.name === 'searchPets')!);
    expect(search.validateInput({ body: { name: 'rex' } })).toBe(true);
    expect(search.validateInput({ body: { name: 'rex', tag: 'x' } })).toBe(false);
  });

  it('filters by tag, operation glob and path glob', () => {
    expect(importOpenApi(petstore30, { tags: ['pets'] }).tools.map((t) => t.name)).toEqual(['listPets']);
    expect(importOpenApi(petstore30, { operations: ['*Pets'] }).tools.map((t) => t.name)).toEqual(['listPets', 'ownerPets']);
    const byPath = importOpenApi(petstore30, { paths: ['/pets/*'] });
    expect(byPath.tools.map((t) => t.name)).toEqual(['get_pets_by_petid']);
    expect(byPath.filtered).toBeGreaterThan(0);
    expect(importOpenApi(petstore30, { paths: ['/pets/**'] }).tools.map((t) => t.name)).toEqual(['get_pets_by_petid']);
  });

  it('does not repeat the server path when the base URL already has it', () => {
    expect(importOpenApi(petstore30, { baseUrl: 'http://pets.internal/v2' }).tools[0]!.path).toBe('/pets');
  });

  it('every imported tool compiles and validates', () => {
    for (const t of importOpenApi(petstore30, { allowWrites: true }).tools) expect(() => compileRestTool(t), t.name).not.toThrow();
  });
});

describe('importOpenApi (fixtures for the real services)', () => {
  it('prometheus 3.1: $ref chains, path-level params, oneOf, no operationId, server variables', () => {
    const r = importOpenApi(fixture('prometheus.openapi.yaml'));
    expect(r.version).toBe('3.1');
    expect(r.serverPath).toBe('/api/v1');
    expect(r.serverUrl).toBe('http://prometheus.monitoring.svc:9090/api/v1');
    expect(r.tools.map((t) => t.name)).toEqual(['query', 'queryRange', 'series', 'get_labels', 'get_label_by_name_values', 'buildInfo', 'targets']);
    expect(r.skipped.map((s) => s.operationId)).toEqual(['queryPost', 'deleteSeries']);
    const q = r.tools[0]!;
    expect(q.inputSchema).toMatchObject({ properties: { time: { oneOf: [{ format: 'date-time' }, { pattern: '^[0-9]+(\\.[0-9]+)?$' }] } }, required: ['query'] });
    const lv = r.tools.find((t) => t.name === 'get_label_by_name_values')!;
    expect(lv).toMatchObject({ path: '/api/v1/label/{name}/values', query: { 'match[]': '{match[]}' } });
    expect(lv.inputSchema).toMatchObject({ properties: { name: { pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$', description: 'The label name.' } } });
  });

  it('alertmanager Swagger 2.0: basePath, multi arrays, x-nullable, body parameters with allowWrites', () => {
    const r = importOpenApi(fixture('alertmanager.swagger.yaml'), { allowWrites: true });
    expect(r.version).toBe('2.0');
    expect(r.tools.map((t) => `${t.method} ${t.path}`)).toEqual([
      'GET /api/v2/status',
      'GET /api/v2/receivers',
      'GET /api/v2/alerts',
      'POST /api/v2/alerts',
      'GET /api/v2/silences',
      'POST /api/v2/silences',
      'GET /api/v2/silence/{silenceID}',
      'DELETE /api/v2/silence/{silenceID}',
    ]);
    const get = r.tools.find((t) => t.name === 'getAlerts')!;
    expect(get.inputSchema).toMatchObject({ properties: { filter: { type: 'array', items: { type: 'string' } }, active: { type: 'boolean', default: true } } });
    const post = r.tools.find((t) => t.name === 'postSilences')!;
    const body = (post.inputSchema as { properties: { body: { allOf: Array<{ properties?: Record<string, unknown> }> } } }).properties.body;
    expect(body.allOf[0]!.properties!.id).toEqual({ type: ['string', 'null'] });
  });
});

describe('helpers', () => {
  it('tool names stay within 64 characters and the allowed alphabet', () => {
    expect(toolNameFor('get.Thing/v2', 'get', '/x')).toBe('get_Thing_v2');
    const long = toolNameFor(undefined, 'get', `/${'segment/'.repeat(20)}{id}`);
    expect(long).toMatch(/^get_segment_segment.*_[0-9a-f]{8}$/);
    expect(long.length).toBeLessThanOrEqual(64);
  });

  it('globs: * stays within a segment for paths, ** crosses', () => {
    expect(globToRegExp('/api/*', true).test('/api/v1/query')).toBe(false);
    expect(globToRegExp('/api/**', true).test('/api/v1/query')).toBe(true);
    expect(globToRegExp('get*', false).test('getAlerts')).toBe(true);
  });

  it('refuses documents that are not OpenAPI', () => {
    expect(() => importOpenApi({ hello: 'world' })).toThrow(/not an OpenAPI 3\.0\/3\.1 or Swagger 2\.0 document/);
    expect(() => parseSpecText('a: [', 'x.yaml')).toThrow(/Cannot parse the OpenAPI document x\.yaml at line/);
  });
});
