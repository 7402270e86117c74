type Step = { key: string } | { index: number } | { all: true };

export function parseSelect(expr: string): Step[] {
  const steps: Step[] = [];
  const re = /([^.[\]]+)|\[(\d+|\*)\]/g;
  for (const m of expr.matchAll(re)) {
    if (m[1] !== undefined) steps.push(m[1] === '*' ? { all: true } : /^\d+$/.test(m[1]) ? { index: Number(m[1]) } : { key: m[1] });
    else steps.push(m[2] === '*' ? { all: true } : { index: Number(m[2]) });
  }
  return steps;
}

export class SelectMiss extends Error {
  constructor(
    readonly at: string,
    readonly available: string[],
  ) {
    super(`nothing at "${at}"`);
  }
}

/**
 * Applies a selection such as `data.result` or `items.*.metadata.name`. A numeric key also reads an
 * object member of that name; `*` maps the rest of the path over every element.
 */
export function applySelect(value: unknown, expr: string): unknown {
  const steps = parseSelect(expr);
  const walk = (node: unknown, i: number, trail: string): unknown => {
    if (i === steps.length) return node;
    const step = steps[i]!;
    if ('all' in step) {
      const items = Array.isArray(node) ? node : node && typeof node === 'object' ? Object.values(node) : undefined;
      if (!items) throw new SelectMiss(`${trail}.*`, []);
      return items.map((item) => walk(item, i + 1, `${trail}.*`));
    }
    if ('index' in step) {
      if (Array.isArray(node) && step.index < node.length) return walk(node[step.index], i + 1, `${trail}[${step.index}]`);
      if (node && typeof node === 'object' && String(step.index) in node) {
        return walk((node as Record<string, unknown>)[String(step.index)], i + 1, `${trail}.${step.index}`);
      }
      throw new SelectMiss(`${trail}[${step.index}]`, Array.isArray(node) ? [`${node.length} elements`] : keysOf(node));
    }
    const next = trail ? `${trail}.${step.key}` : step.key;
    if (node && typeof node === 'object' && !Array.isArray(node) && Object.prototype.hasOwnProperty.call(node, step.key)) {
      return walk((node as Record<string, unknown>)[step.key], i + 1, next);
    }
    throw new SelectMiss(next, keysOf(node));
  };
  return walk(value, 0, '');
}

function keysOf(node: unknown): string[] {
  return node && typeof node === 'object' && !Array.isArray(node) ? Object.keys(node).slice(0, 20) : [];
}
