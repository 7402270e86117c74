import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('templates list', () => {
  it('lists every shipped template with its tool count', async () => {
    const r = await runCli(['templates', 'list']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^TEMPLATE\s+TOOLS\s+DESCRIPTION$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['alertmanager', 'argocd', 'kubernetes', 'longhorn', 'prometheus', 'signoz']);
    expect(r.stdout).toMatch(/prometheus\s+7\s+Read-only access to a Prometheus server/);
    expect(r.stdout).not.toMatch(/\x1b\[/);
  });

  it('--json gives the same rows', async () => {
    const r = await runCli(['templates', 'list', '--json']);
    expect(r.code).toBe(0);
    const rows = r.json<Array<{ name: string; tools: number; secrets: string[] }>>();
    expect(rows.find((t) => t.name === 'kubernetes')).toMatchObject({ tools: 10, writeTools: 3, secrets: ['TOKEN'] });
    expect(rows.find((t) => t.name === 'prometheus')).toMatchObject({ tools: 7, writeTools: 0 });
  });
});

describe('templates show', () => {
  it('documents tools with method, path and arguments, secrets, and the add command', async () => {
    const r = await runCli(['templates', 'show', 'kubernetes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Kubernetes API server (kubernetes)');
    expect(r.stdout).toMatch(/TOKEN \(required\): ServiceAccount bearer token/);
    expect(r.stdout).toMatch(/list_pods\s+GET\s+\/api\/v1\/namespaces\/\{namespace\}\/pods\s+namespace \[labelSelector\] \[fieldSelector\] \[limit\] \[continue\]/);
    expect(r.stdout).toContain('Add it: gatehouse backends add kubernetes --template kubernetes --url https://kubernetes.default.svc --secret TOKEN=env:K8S_TOKEN');
    expect(r.stdout).toMatch(/scale_deployment\s+PATCH\s+\/apis\/apps\/v1\/namespaces\/\{namespace\}\/deployments\/\{name\}\/scale/);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('Write tools (loaded only on a backend with allowWrites; guarded: each call is a plan a person approves): scale_deployment, restart_deployment, set_image.');
    expect(r.stdout).toContain('default constraints of scale_deployment: {"replicas":{"minimum":0,"maximum":5}}');
  });

  it('--json marks the write tools and carries their default constraints', async () => {
    const r = await runCli(['templates', 'show', 'argocd', '--json']);
    expect(r.code).toBe(0);
    const t = r.json<{ tools: Array<{ name: string; readOnly: boolean }> }>();
    expect(t.tools.filter((x) => !x.readOnly).map((x) => x.name)).toEqual(['sync_application']);
    expect(t.tools.find((x) => x.name === 'list_applications')!.readOnly).toBe(true);
  });

  it('--json includes each tool\'s arguments', async () => {
    const r = await runCli(['templates', 'show', 'prometheus', '--json']);
    expect(r.code).toBe(0);
    const t = r.json<{ tools: Array<{ name: string; method: string; arguments: Array<{ name: string; required: boolean }> }> }>();
    const q = t.tools.find((x) => x.name === 'query_range')!;
    expect(q.method).toBe('GET');
    expect(q.arguments.filter((a) => a.required).map((a) => a.name)).toEqual(['query', 'start', 'end', 'step']);
  });

  it('an unknown template fails with the list of templates', async () => {
    const r = await runCli(['templates', 'show', 'grafana']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Error: No backend template named "grafana".');
    expect(r.stderr).toContain('Hint: Templates: alertmanager, argocd, kubernetes, longhorn, prometheus, signoz.');
  });
});
