/**
 * Collects every secret value a test file uses and every piece of output the CLI produced (and
 * files it wrote that must hold no values), then reports any place a value shows up.
 */
export interface LeakGuard {
  /** Registers a value as secret and returns it. */
  secret<T extends string>(value: T): T;
  /** Records output (stdout, stderr, a file's content) under a label. */
  record(label: string, text: string | undefined): void;
  /** Records a CLI result's stdout and stderr. */
  recordRun<R extends { stdout: string; stderr: string }>(label: string, r: R): R;
  /** Labels where a secret (or a 12-character slice of one) appeared. */
  leaks(): string[];
  readonly secrets: ReadonlySet<string>;
  readonly outputs: ReadonlyArray<{ label: string; text: string }>;
}

export function leakGuard(): LeakGuard {
  const secrets = new Set<string>();
  const outputs: Array<{ label: string; text: string }> = [];
  return {
    secrets,
    outputs,
    secret(v) {
      secrets.add(v);
      return v;
    },
    record(label, text) {
      if (text) outputs.push({ label, text });
    },
    recordRun(label, r) {
      outputs.push({ label: `${label} (stdout)`, text: r.stdout }, { label: `${label} (stderr)`, text: r.stderr });
      return r;
    },
    leaks() {
      const found: string[] = [];
      for (const s of secrets) {
        // A slice catches partial prints (masking that shows too much, truncated lines).
        const probes = s.length > 16 ? [s, s.slice(0, 12), s.slice(-12)] : [s];
        for (const o of outputs) if (probes.some((p) => o.text.includes(p))) found.push(`${o.label}: contains a secret (${s.slice(0, 3)}…)`);
      }
      return found;
    },
  };
}
