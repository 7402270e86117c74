// Template constraints narrowed by the operator's: the effective fragment accepts only what both do.
import { describe, expect, it } from 'vitest';
import type { BackendConfig } from '../../../src/core/config/schema.js';
import { effectiveConstraints, narrow } from '../../../src/core/approvals/effective.js';

const k8s = (constraints?: Record<string, unknown>) => ({ type: 'rest', baseUrl: 'https://10.0.0.1:6443', template: 'kubernetes', allowWrites: true, ...(constraints ? { constraints } : {}) }) as unknown as BackendConfig;

describe('effectiveConstraints', () => {
  it("takes the template's defaults when the operator sets none", () => {
    expect(effectiveConstraints(k8s())).toEqual({ scale_deployment: { replicas: { minimum: 0, maximum: 5 } } });
  });

  it('lets the operator narrow, never widen, and add constraints on other arguments and tools', () => {
    const c = effectiveConstraints(k8s({ scale_deployment: { replicas: { maximum: 50, minimum: 1 }, namespace: { enum: ['shop'] } }, set_image: { image: { pattern: '^r/' } } }));
    expect(c).toEqual({
      scale_deployment: { replicas: { minimum: 1, maximum: 5 }, namespace: { enum: ['shop'] } },
      set_image: { image: { pattern: '^r/' } },
    });
  });

  it('passes a backend without a template through unchanged', () => {
    const cfg = { type: 'rest', baseUrl: 'http://x', tools: [{ name: 't', path: '/' }], constraints: { t: { a: { enum: [1] } } } } as unknown as BackendConfig;
    expect(effectiveConstraints(cfg)).toBe(cfg.constraints);
  });
});

describe('narrow', () => {
  it('intersects enums, keeps the tighter bound, and keeps both of any other differing keyword', () => {
    expect(narrow({ enum: ['a', 'b', 'c'], maxLength: 10, pattern: '^a' }, { enum: ['b', 'c', 'd'], maxLength: 20, pattern: '^b' })).toEqual({ enum: ['b', 'c'], maxLength: 10, pattern: '^a', allOf: [{ pattern: '^b' }] });
    expect(narrow({ exclusiveMinimum: 0 }, { exclusiveMinimum: 3, const: 4 })).toEqual({ exclusiveMinimum: 3, const: 4 });
  });
});

describe('policyRules', () => {
  it('names the default, then the constraints, when a backend sets no approval rules', async () => {
    const { policyRules } = await import('../../../src/core/approvals/visibility.js');
    expect(policyRules(k8s({ scale_deployment: { namespace: { enum: ['shop'] } } }))).toEqual([
      'REST writes are guarded (the default)',
      'scale_deployment constraints: replicas {"minimum":0,"maximum":5}, namespace {"enum":["shop"]}',
    ]);
  });
});
