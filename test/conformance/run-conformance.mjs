#!/usr/bin/env node
// Runs the @modelcontextprotocol/conformance server scenarios against an MCP
// server URL and reports, per scenario, whether it passed.
//
//   node test/conformance/run-conformance.mjs http://127.0.0.1:3000/mcp
//   node test/conformance/run-conformance.mjs <url> --suite active --details
//   node test/conformance/run-conformance.mjs <url> --scenario tools-list --scenario ping
//
// Prints {"<scenario>": "pass" | "fail", …} on stdout (with --details, the
// full per-scenario summary) and exits 0 when every scenario passed, 1 when
// any failed, 2 on usage errors.
//
// A scenario passes when none of its checks has status FAILURE; WARNING and
// INFO checks do not fail it (the same rule the suite's own summary uses).
// The suite's CLI is the interface: one child process runs the whole
// selection and writes checks.json per scenario into a temporary directory.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const pkgJson = require.resolve('@modelcontextprotocol/conformance/package.json');
/** Absolute path of the conformance CLI entry point. */
export const CONFORMANCE_CLI = path.join(path.dirname(pkgJson), require(pkgJson).bin.conformance);
export const CONFORMANCE_VERSION = require(pkgJson).version;

/**
 * Runs the conformance CLI with `args`; resolves with its exit code and output.
 * @param {string[]} args
 * @param {{ timeoutMs?: number }} [options]
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string, timedOut: boolean }>}
 */
function runCli(args, { timeoutMs = 180_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CONFORMANCE_CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/**
 * Server scenario names, as the installed suite lists them.
 * @returns {Promise<string[]>}
 */
export async function listServerScenarios() {
  const { code, stdout, stderr } = await runCli(['list', '--server'], { timeoutMs: 30_000 });
  if (code !== 0) throw new Error(`conformance list failed (exit ${code}): ${stderr}`);
  return [...stdout.matchAll(/^\s+-\s+(\S+)\s*$/gm)].map((m) => m[1]);
}

// Result directories are named server-<scenario>-<ISO timestamp with : and . as ->.
const RESULT_DIR = /^server-(.+)-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)$/;

/**
 * @typedef {{ status: string, id: string, name?: string, description?: string, errorMessage?: string }} Check
 * @typedef {{ result: 'pass' | 'fail', passed: number, failed: number, warnings: number,
 *             failures: string[], warningMessages: string[],
 *             checks: { id: string, status: string }[] }} ScenarioSummary
 * @typedef {{ url: string, suite: string, results: Record<string, 'pass' | 'fail'>,
 *             details: Record<string, ScenarioSummary>, durationMs: number, exitCode: number | null,
 *             output: string }} ConformanceRun
 */

/** @param {Check[]} checks @returns {ScenarioSummary} */
function summarise(checks) {
  const failures = checks.filter((c) => c.status === 'FAILURE');
  const warnings = checks.filter((c) => c.status === 'WARNING');
  return {
    result: failures.length === 0 && checks.length > 0 ? 'pass' : 'fail',
    passed: checks.filter((c) => c.status === 'SUCCESS').length,
    failed: failures.length,
    warnings: warnings.length,
    failures: failures.map((c) => `${c.id}: ${c.errorMessage ?? c.description ?? ''}`),
    warningMessages: warnings.map((c) => `${c.id}: ${c.errorMessage ?? c.description ?? ''}`),
    checks: checks.map((c) => ({ id: c.id, status: c.status })),
  };
}

/**
 * Runs server scenarios against `url`.
 * @param {string} url the MCP endpoint, e.g. http://127.0.0.1:1234/mcp
 * @param {{ suite?: 'all' | 'active' | 'pending', scenarios?: string[], timeoutMs?: number }} [options]
 *   `suite` defaults to `all` (every server scenario, pending ones included);
 *   `scenarios` runs just those, one CLI invocation each.
 * @returns {Promise<ConformanceRun>}
 */
export async function runConformance(url, { suite = 'all', scenarios, timeoutMs = 180_000 } = {}) {
  const known = await listServerScenarios();
  const outDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-conformance-'));
  const started = Date.now();
  let exitCode = 0;
  let output = '';
  try {
    const invocations = scenarios?.length
      ? scenarios.map((s) => ['server', '--url', url, '--scenario', s, '-o', outDir])
      : [['server', '--url', url, '--suite', suite, '-o', outDir]];
    for (const args of invocations) {
      const deadline = timeoutMs - (Date.now() - started);
      if (deadline <= 0) throw new Error(`conformance run exceeded ${timeoutMs} ms`);
      const run = await runCli(args, { timeoutMs: deadline });
      output += run.stdout + run.stderr;
      if (run.timedOut) throw new Error(`conformance run exceeded ${timeoutMs} ms\n${output.slice(-4000)}`);
      if (run.code !== 0 && exitCode === 0) exitCode = run.code;
    }

    /** @type {Record<string, ScenarioSummary>} */
    const details = {};
    for (const entry of await readdir(outDir, { withFileTypes: true })) {
      const match = entry.isDirectory() && RESULT_DIR.exec(entry.name);
      if (!match) continue;
      const checks = JSON.parse(await readFile(path.join(outDir, entry.name, 'checks.json'), 'utf8'));
      details[match[1]] = summarise(checks);
    }

    // A selected scenario that left no checks.json behind crashed the runner: a failure.
    const announced = [...output.matchAll(/^=== Running scenario: (\S+) ===$/gm)].map((m) => m[1]);
    const expected = scenarios?.length ? scenarios : [...new Set([...(suite === 'all' ? known : []), ...announced])];
    for (const name of expected) {
      details[name] ??= {
        result: 'fail',
        passed: 0,
        failed: 1,
        warnings: 0,
        failures: [`${name}: no results were written (the scenario did not run to completion)`],
        warningMessages: [],
        checks: [],
      };
    }
    const ordered = Object.keys(details).sort((a, b) => {
      const ia = known.indexOf(a);
      const ib = known.indexOf(b);
      return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib) || a.localeCompare(b);
    });
    return {
      url,
      suite: scenarios?.length ? 'selected' : suite,
      results: Object.fromEntries(ordered.map((name) => [name, details[name].result])),
      details: Object.fromEntries(ordered.map((name) => [name, details[name]])),
      durationMs: Date.now() - started,
      exitCode,
      output,
    };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

async function main(argv) {
  const usage = 'usage: run-conformance.mjs <url> [--suite all|active|pending] [--scenario NAME]… [--details]';
  let url;
  let suite = 'all';
  let details = false;
  const scenarios = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--suite') suite = argv[++i];
    else if (arg === '--scenario') scenarios.push(argv[++i]);
    else if (arg === '--details') details = true;
    else if (arg === '-h' || arg === '--help') {
      process.stdout.write(`${usage}\n`);
      return 0;
    } else if (!arg.startsWith('-') && url === undefined) url = arg;
    else {
      process.stderr.write(`${usage}\n`);
      return 2;
    }
  }
  if (!url || !['all', 'active', 'pending'].includes(suite) || scenarios.includes(undefined)) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const run = await runConformance(url, { suite, scenarios });
  const report = details
    ? { url: run.url, suite: run.suite, durationMs: run.durationMs, conformance: CONFORMANCE_VERSION, scenarios: run.details }
    : run.results;
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return Object.values(run.results).every((r) => r === 'pass') ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`run-conformance: ${error?.stack ?? error}\n`);
      process.exit(1);
    },
  );
}
