// The era matrix: one backend (server-everything = 2025 era, modern-server = 2026-07-28) over one
// outbound transport, fronted by the gateway, exercised by clients of both eras over every inbound
// transport. Each *.test.ts file in this folder named era-matrix-<backend>.test.ts runs one backend,
// so vitest can spread them over workers.
import { ProtocolError } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendConfig } from '../../src/core/config/schema.js';
import { startHttpFixture } from '../fixtures/servers/spawn-fixture.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import {
  CLIENT_MODES,
  connectClient,
  everythingStdio,
  httpBackend,
  modernStdio,
  startEverythingHttp,
  tempDir,
  textOf,
  until,
  wireOrder,
  writeConfig,
  type Era,
  type TempDir,
  type TestClient,
} from './helpers.js';

export type MatrixBackend = 'everything-stdio' | 'everything-http' | 'everything-sse' | 'modern-stdio' | 'modern-http';

interface Spec {
  era: Era;
  name: string;
  start(): Promise<{ config: BackendConfig; stop(): Promise<void> }>;
  tools: string[];
  echo: { tool: string; args: Record<string, unknown>; text: string };
  structured: { tool: string; args: Record<string, unknown>; value: unknown };
  progress: { tool: string; args: Record<string, unknown>; values: number[] };
  sampling: { tool: string; args: Record<string, unknown>; expect: (client: string) => string[] };
  elicitation: { tool: string; args: Record<string, unknown>; expect: (client: string) => string[] };
  resource: { uriPrefix: string; text: RegExp };
  template: { template: string; uri: string; text: RegExp };
  prompt: { name: string; args: Record<string, string>; text: string };
  completion?: { prompt: string; argument: { name: string; value: string }; values: string[] };
  badPrompt: { name: string; args: Record<string, string> };
}

const everything = (name: string, start: Spec['start']): Spec => ({
  era: 'legacy',
  name,
  start,
  tools: ['echo', 'get-structured-content', 'trigger-long-running-operation', 'trigger-sampling-request', 'trigger-elicitation-request', 'get-sum'],
  echo: { tool: 'echo', args: { message: 'hello matrix' }, text: 'Echo: hello matrix' },
  structured: { tool: 'get-structured-content', args: { location: 'Chicago' }, value: { temperature: 36, conditions: 'Light rain / drizzle', humidity: 82 } },
  progress: { tool: 'trigger-long-running-operation', args: { duration: 0.3, steps: 3 }, values: [1, 2, 3] },
  sampling: { tool: 'trigger-sampling-request', args: { prompt: 'say hi', maxTokens: 10 }, expect: (c) => [`${c}-model`, `reply for ${c}`] },
  elicitation: { tool: 'trigger-elicitation-request', args: {}, expect: (c) => [`- Name: ${c}`] },
  resource: { uriPrefix: 'demo://resource/static/document/', text: /\S/ },
  template: { template: 'demo://resource/dynamic/text/{resourceId}', uri: 'demo://resource/dynamic/text/7', text: /Resource 7/ },
  prompt: { name: 'args-prompt', args: { city: 'Oslo' }, text: "What's weather in Oslo?" },
  completion: { prompt: 'completable-prompt', argument: { name: 'department', value: 'En' }, values: ['Engineering'] },
  badPrompt: { name: 'args-prompt', args: {} },
});

const modern = (name: string, start: Spec['start']): Spec => ({
  era: 'modern',
  name,
  start,
  tools: ['echo', 'add', 'slow', 'ask', 'sample'],
  echo: { tool: 'echo', args: { text: 'hello matrix' }, text: 'hello matrix' },
  structured: { tool: 'echo', args: { text: 'structured' }, value: { text: 'structured', length: 10 } },
  progress: { tool: 'slow', args: { steps: 4, ms: 20 }, values: [1, 2, 3, 4] },
  sampling: { tool: 'sample', args: { prompt: 'say hi' }, expect: (c) => [`model ${c}-model said: reply for ${c}`] },
  elicitation: { tool: 'ask', args: { question: 'Who are you?' }, expect: (c) => [`user said: answer from ${c}`] },
  resource: { uriPrefix: 'modern://info', text: /gatehouse-modern-fixture/ },
  template: { template: 'modern://items/{id}', uri: 'modern://items/2', text: /bellows/ },
  prompt: { name: 'greet', args: { name: 'Ada' }, text: 'Please greet Ada warmly.' },
  badPrompt: { name: 'greet', args: {} },
});

const SPECS: Record<MatrixBackend, Spec> = {
  'everything-stdio': everything('evstdio', async () => ({ config: everythingStdio(), stop: async () => undefined })),
  'everything-http': everything('evhttp', async () => {
    const p = await startEverythingHttp('streamableHttp');
    return { config: httpBackend(p.url, { transport: 'streamable-http' }), stop: p.stop };
  }),
  'everything-sse': everything('evsse', async () => {
    const p = await startEverythingHttp('sse');
    return { config: httpBackend(p.url, { transport: 'sse' }), stop: p.stop };
  }),
  'modern-stdio': modern('modstdio', async () => ({ config: modernStdio(), stop: async () => undefined })),
  'modern-http': modern('modhttp', async () => {
    const f = await startHttpFixture('modern-server');
    return { config: httpBackend(f.url, { transport: 'streamable-http' }), stop: f.stop };
  }),
};

export function describeEraMatrix(kind: MatrixBackend): void {
  const spec = SPECS[kind];
  const p = (n: string) => `${spec.name}_${n}`;

  describe(`${kind} backend (${spec.era} era) through the gateway`, () => {
    let backend: { config: BackendConfig; stop(): Promise<void> };
    let gw: TestGateway;
    let dir: TempDir;
    let configFile: string;

    beforeAll(async () => {
      backend = await spec.start();
      gw = await startGateway({ backends: { [spec.name]: backend.config } });
      await gw.ready();
      const u = gw.gateway.upstreams[0]!;
      expect(u.state, `backend state: ${u.lastError}`).toBe('ready');
      expect(u.info.era).toBe(spec.era);
      // server-everything registers its sampling/elicitation tools after initialize and announces list_changed.
      await until(() => spec.tools.every((t) => gw.gateway.catalog.resolveTool(p(t))), 10_000, 'the full tool list');
      dir = tempDir();
      configFile = writeConfig(dir.path, { [spec.name]: backend.config });
    });

    afterAll(async () => {
      await gw?.stop();
      await backend?.stop();
      dir?.remove();
    });

    describe.each(CLIENT_MODES)('%s client', (mode) => {
      let tc: TestClient;

      beforeAll(async () => {
        tc = await connectClient(mode, { url: gw.url, configFile, configDir: dir.path }, { name: `${mode}-${kind}` });
        expect(tc.client.getProtocolEra()).toBe(tc.era);
      });
      afterAll(async () => {
        await tc?.close();
      });

      it('lists the backend tools under its prefix', async () => {
        let names: string[] = [];
        // A `serve --stdio` gateway has its own backend child, which may still be announcing tools.
        await until(
          async () => {
            names = (await tc.client.listTools()).tools.map((t) => t.name);
            return spec.tools.every((t) => names.includes(p(t)));
          },
          10_000,
          `tools ${spec.tools.join(', ')} (saw ${names.join(', ')})`,
        );
        for (const n of names) expect(n.startsWith(`${spec.name}_`), n).toBe(true);
      });

      it('calls a tool', async () => {
        const res = await tc.client.callTool({ name: p(spec.echo.tool), arguments: spec.echo.args });
        expect(res.isError).toBeFalsy();
        expect(textOf(res)).toBe(spec.echo.text);
      });

      it('passes structured content through, and the result names the gateway as its server', async () => {
        const res = await tc.client.callTool({ name: p(spec.structured.tool), arguments: spec.structured.args });
        expect(res.structuredContent).toEqual(spec.structured.value);
        const last = tc.wire.filter((m) => 'result' in m).at(-1)!;
        const info = (last.result?._meta as Record<string, { name?: string }> | undefined)?.['io.modelcontextprotocol/serverInfo'];
        // Modern results carry the responding server's identity; through the gateway that is the gateway.
        if (tc.era === 'modern') expect(info?.name).toBe('gatehouse');
        else if (info) expect(info.name).toBe('gatehouse');
      });

      it('relays every progress notification, the last included, before the result', async () => {
        const seen: number[] = [];
        const from = tc.wire.length;
        const res = await tc.client.callTool({ name: p(spec.progress.tool), arguments: spec.progress.args }, { onprogress: (pr) => seen.push(pr.progress) });
        expect(res.isError).toBeFalsy();
        const order = wireOrder(tc, from);
        expect(order.progressValues).toEqual(spec.progress.values);
        expect(order.responseAt).toBeGreaterThan(-1);
        for (const at of order.progress) expect(at).toBeLessThan(order.responseAt);
        expect(seen).toEqual(spec.progress.values);
      });

      it("answers the backend's sampling request", async () => {
        const before = tc.samplings.length;
        const res = await tc.client.callTool({ name: p(spec.sampling.tool), arguments: spec.sampling.args });
        expect(res.isError, textOf(res)).toBeFalsy();
        for (const s of spec.sampling.expect(tc.name)) expect(textOf(res)).toContain(s);
        expect(tc.samplings.length).toBe(before + 1);
      });

      it("answers the backend's elicitation request", async () => {
        const before = tc.elicitations.length;
        const res = await tc.client.callTool({ name: p(spec.elicitation.tool), arguments: spec.elicitation.args });
        expect(res.isError, textOf(res)).toBeFalsy();
        for (const s of spec.elicitation.expect(tc.name)) expect(textOf(res)).toContain(s);
        expect(tc.elicitations.length).toBe(before + 1);
      });

      it('lists and reads resources, directly and through a template', async () => {
        const { resources } = await tc.client.listResources();
        const r = resources.find((x) => x.uri.startsWith(spec.resource.uriPrefix));
        expect(r, resources.map((x) => x.uri).join(', ')).toBeDefined();
        const read = await tc.client.readResource({ uri: r!.uri });
        expect(read.contents[0]!.uri).toBe(r!.uri);
        const body = 'text' in read.contents[0]! ? String(read.contents[0].text) : Buffer.from(String((read.contents[0] as { blob: string }).blob), 'base64').toString();
        expect(body).toMatch(spec.resource.text);

        const { resourceTemplates } = await tc.client.listResourceTemplates();
        expect(resourceTemplates.map((t) => t.uriTemplate)).toContain(spec.template.template);
        const viaTemplate = await tc.client.readResource({ uri: spec.template.uri });
        expect(JSON.stringify(viaTemplate.contents)).toMatch(spec.template.text);
      });

      it('gets a prompt under its prefixed name', async () => {
        const { prompts } = await tc.client.listPrompts();
        expect(prompts.map((x) => x.name)).toContain(p(spec.prompt.name));
        const res = await tc.client.getPrompt({ name: p(spec.prompt.name), arguments: spec.prompt.args });
        expect(JSON.stringify(res.messages)).toContain(spec.prompt.text);
      });

      if (spec.completion) {
        const c = spec.completion;
        it('completes a prompt argument', async () => {
          const res = await tc.client.complete({ ref: { type: 'ref/prompt', name: p(c.prompt) }, argument: c.argument });
          expect(res.completion.values).toEqual(c.values);
        });
      }

      it('returns a backend error as an MCP error naming the backend', async () => {
        const err = await tc.client.getPrompt({ name: p(spec.badPrompt.name), arguments: spec.badPrompt.args }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(ProtocolError);
        const pe = err as ProtocolError;
        expect(pe.message).toContain(`[${spec.name}]`);
        expect((pe.data as { backend?: string } | undefined)?.backend).toBe(spec.name);
        expect(pe.code).toBe(-32602);
      });
    });
  });
}
