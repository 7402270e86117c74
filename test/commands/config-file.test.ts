/**
 * The one config file as the CLI sees it: gatehouse.yaml in the config dir (or --config /
 * GATEHOUSE_CONFIG), edited in place, migrated from config.json, and bad paths named.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { cliSandbox, makeTempDir, runCli } from '../helpers/cli.js';

/** Many CLIs start at once here, on a machine other work shares: allow each one time (the helper's default is 30 s). */
const SLOW = { timeoutMs: 180_000 };

describe('the config file', () => {
  it('migrates config.json on first use, with a one-line note, keeping a backup', async () => {
    const sb = cliSandbox();
    const legacy = { version: 1, backends: { old: { type: 'stdio', command: 'node', args: ['old.js'] } } };
    writeFileSync(join(sb.configDir, 'config.json'), JSON.stringify(legacy, null, '\t'));
    const r = await sb.run(['backends', 'list', '--json'], SLOW);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<Array<{ name: string }>>().map((b) => b.name)).toEqual(['old']);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`moved the configuration from ${join(sb.configDir, 'config.json')} to ${sb.configPath}`);
    expect(existsSync(join(sb.configDir, 'config.json.bak'))).toBe(true);
    expect(existsSync(join(sb.configDir, 'config.json'))).toBe(false);
    expect(sb.readConfig()).toEqual(legacy);
    const again = await sb.run(['backends', 'list', '--json'], SLOW);
    expect(again.stderr).toBe('');
  }, 60_000);

  it('backends update changes only the fields given, keeping comments and layout', async () => {
    const sb = cliSandbox();
    const text = [
      '# team gateway',
      'version: 1',
      'backends:',
      '  files: # the file server',
      '    type: stdio',
      '    command: node',
      '    args: [files.js]',
      '    env:',
      '      LOG_LEVEL: debug',
      '  web:',
      '    type: http',
      '    url: https://mcp.example.com/mcp',
      '',
    ].join('\n');
    writeFileSync(sb.configPath, text);
    const r = await sb.run(['backends', 'update', 'files', '--timeout', '90', '--env', 'MODE=fast', '--json'], SLOW);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<{ changed: string[] }>().changed).toEqual(['env', 'timeout']);
    const after = readFileSync(sb.configPath, 'utf8');
    expect(after).toContain('# team gateway');
    expect(after).toContain('# the file server');
    expect(after).toMatch(/args: \[ ?files\.js ?\]/);
    expect(sb.readConfig().backends.files).toEqual({ type: 'stdio', command: 'node', args: ['files.js'], env: { LOG_LEVEL: 'debug', MODE: 'fast' }, timeout: 90 });
    expect(sb.readConfig().backends.web).toEqual({ type: 'http', url: 'https://mcp.example.com/mcp' });

    const url = await sb.run(['backends', 'update', 'web', '--url', 'https://other.example.com/mcp', '--header', 'Authorization: secret:web-token'], SLOW);
    expect(url.code, url.stderr).toBe(0);
    expect(sb.readConfig().backends.web).toEqual({ type: 'http', url: 'https://other.example.com/mcp', headers: { Authorization: 'secret:web-token' } });

    const before = readFileSync(sb.configPath);
    const runs = await Promise.all([
      sb.run(['backends', 'update', 'files', '--url', 'https://x.example.com/'], SLOW),
      sb.run(['backends', 'update', 'files'], SLOW),
      sb.run(['backends', 'update', 'nope', '--timeout', '5'], SLOW),
      sb.run(['backends', 'update', 'web', '--header', 'Authorization: Bearer abcdef0123456789abcdef'], SLOW),
    ]);
    expect(runs[0]!.code).toBe(2);
    expect(runs[0]!.stderr).toContain('--url cannot be changed on the stdio backend "files"');
    expect(runs[0]!.stderr).toContain('--force');
    expect(runs[1]!.code).toBe(2);
    expect(runs[1]!.stderr).toContain('Nothing to update');
    expect(runs[2]!.code).toBe(1);
    expect(runs[2]!.stderr).toContain('No backend named "nope"');
    expect(runs[3]!.code).not.toBe(0);
    expect(runs[3]!.stderr).not.toContain('abcdef0123456789abcdef');
    expect(readFileSync(sb.configPath).equals(before)).toBe(true);
  }, 120_000);

  it('--config and GATEHOUSE_CONFIG name the file every command reads and edits', async () => {
    const dir = makeTempDir();
    const file = join(makeTempDir(), 'team.yaml');
    writeFileSync(file, '# team\nversion: 1\nbackends: {}\n');
    const add = await runCli(['backends', 'add', 'a', '--stdio', 'node a.js', '--config', file], { ...SLOW, configDir: dir });
    expect(add.code, add.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('# team');
    expect(parseYaml(readFileSync(file, 'utf8')).backends.a.command).toBe('node');
    expect(existsSync(join(dir, 'gatehouse.yaml'))).toBe(false);
    const list = await runCli(['backends', 'list', '--json'], { ...SLOW, configDir: dir, env: { GATEHOUSE_CONFIG: file } });
    expect(list.json<Array<{ name: string }>>().map((b) => b.name)).toEqual(['a']);
    const validate = await runCli(['config', 'validate'], { ...SLOW, configDir: dir, env: { GATEHOUSE_CONFIG: file } });
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toContain(`${file} is valid: 1 backend`);
  }, 60_000);

  it('export merges into an existing file: a hand-written gateway section and header survive; a non-config file is refused', async () => {
    const sb = cliSandbox();
    await sb.run(['backends', 'add', 'a', '--stdio', 'node a.js'], SLOW);
    const target = join(makeTempDir(), 'out.yaml');
    writeFileSync(target, '# Production gateway, reviewed by ops.\nversion: 1\ngateway:\n  port: 7600 # firewall\nbackends:\n  local: { type: stdio, command: local }\n');
    const r = await sb.run(['config', 'export', '--output', target], SLOW);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Kept from');
    const text = readFileSync(target, 'utf8');
    expect(text).toContain('# Production gateway, reviewed by ops.');
    expect(text).toContain('port: 7600 # firewall');
    expect(Object.keys(parseYaml(text).backends).sort()).toEqual(['a', 'local']);

    const notConfig = join(makeTempDir(), 'notes.yaml');
    writeFileSync(notConfig, 'shopping: [milk]\n');
    const refused = await sb.run(['config', 'export', '--output', notConfig], SLOW);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`Refusing to overwrite ${notConfig}`);
    expect(readFileSync(notConfig, 'utf8')).toBe('shopping: [milk]\n');
  }, 60_000);

  it('a config path that is a directory or a FIFO is named, and nothing blocks', async () => {
    const dir = makeTempDir();
    mkdirSync(join(dir, 'gatehouse.yaml'));
    const d = await runCli(['backends', 'list'], { ...SLOW, configDir: dir });
    expect(d.code).toBe(1);
    expect(d.stderr).toContain(`${join(dir, 'gatehouse.yaml')} is a directory, not a file`);
    const fifoDir = makeTempDir();
    const fifo = join(fifoDir, 'gatehouse.yaml');
    execFileSync('mkfifo', [fifo]);
    const runs = await Promise.all([
      runCli(['backends', 'list'], { ...SLOW, configDir: fifoDir }),
      runCli(['config', 'validate', fifo], { ...SLOW, configDir: makeTempDir() }),
      runCli(['config', 'import', fifo], { ...SLOW, configDir: makeTempDir() }),
      runCli(['serve', '--config', fifo, '--no-tui'], { ...SLOW, configDir: makeTempDir() }),
    ]);
    for (const r of runs) {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${fifo} is not a regular file`);
    }
  }, 120_000);

  it('config import refuses an oversized file and an alias bomb, naming the file, and writes nothing', async () => {
    const sb = cliSandbox();
    const big = join(makeTempDir(), 'big.yaml');
    writeFileSync(big, `version: 1\nbackends: {}\n# ${'x'.repeat(5 * 1024 * 1024)}\n`);
    const bomb = join(makeTempDir(), 'bomb.yaml');
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    writeFileSync(bomb, `${lines.join('\n')}\n`);
    const [r1, r2, r3] = await Promise.all([
      sb.run(['config', 'import', big], SLOW),
      sb.run(['config', 'import', bomb], SLOW),
      sb.run(['config', 'import', '-'], { ...SLOW, input: readFileSync(big, 'utf8') }),
    ]);
    expect(r1!.code).toBe(1);
    expect(r1!.stderr).toContain(`${big} is 5.0 MiB, over the 4.0 MiB limit`);
    expect(r2!.code).toBe(1);
    expect(r2!.stderr).toContain(`Cannot load ${bomb}: its YAML aliases expand too far`);
    expect(r3!.code).toBe(1);
    expect(r3!.stderr).toContain('over the 4.0 MiB limit');
    expect(sb.readConfigBytes()).toBeUndefined();
  }, 60_000);
});
