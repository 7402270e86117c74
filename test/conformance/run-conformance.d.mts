// Types for run-conformance.mjs (plain JavaScript so it runs with `node`).

export declare const CONFORMANCE_CLI: string;
export declare const CONFORMANCE_VERSION: string;

export type ScenarioResult = 'pass' | 'fail';

export interface ScenarioSummary {
  result: ScenarioResult;
  passed: number;
  failed: number;
  warnings: number;
  /** "<check id>: <message>" for every FAILURE check. */
  failures: string[];
  /** "<check id>: <message>" for every WARNING check. */
  warningMessages: string[];
  /** Every check the scenario reported (SUCCESS, FAILURE, WARNING, INFO…). */
  checks: { id: string; status: string }[];
}

export interface ConformanceRun {
  url: string;
  suite: string;
  results: Record<string, ScenarioResult>;
  details: Record<string, ScenarioSummary>;
  durationMs: number;
  exitCode: number | null;
  /** Combined stdout and stderr of the suite's CLI. */
  output: string;
}

export interface RunConformanceOptions {
  /** Which suite to run when `scenarios` is not given. Default `all` (pending scenarios included). */
  suite?: 'all' | 'active' | 'pending';
  /** Run just these scenarios. */
  scenarios?: string[];
  /** Upper bound for the whole run. Default 180 000 ms. */
  timeoutMs?: number;
}

export declare function listServerScenarios(): Promise<string[]>;
export declare function runConformance(url: string, options?: RunConformanceOptions): Promise<ConformanceRun>;
