/**
 * What a person meets when they mistype or ask for help: unknown commands and flags name the nearest
 * real one in the space-separated form and no usage dump; `help` and `version` work; completion
 * scripts for bash (run in a real bash), zsh and fish are generated from the command list.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir, runCli } from '../helpers/cli.js';
import { closest, closestCommand, editDistance } from '../../src/core/cli/suggest.js';

describe('suggestions', () => {
  it('edit distance counts a transposition as one edit', () => {
    expect(editDistance('status', 'stauts')).toBe(1);
    expect(editDistance('list', 'lst')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('prefers a command inside the typed topic, and gives up on unrelated words', () => {
    const ids = ['backends:list', 'backends:add', 'tokens:list', 'status', 'serve'];
    expect(closestCommand('backends:lst', ids)).toBe('backends:list');
    expect(closestCommand('backend:list', ids)).toBe('backends:list');
    expect(closestCommand('statsu', ids)).toBe('status');
    expect(closest('zzzzzzzz', ids)).toBeUndefined();
  });
});

describe('typos at the command line', () => {
  it.each([
    ['backend list', 'backends list'],
    ['backends lst', 'backends list'],
    ['statsu', 'status'],
    ['tokns test', 'tokens test'],
    ['backendz', 'backends'],
  ])('`%s` suggests `%s` (space form, no usage, exit 2)', async (typed, want) => {
    const r = await runCli(typed.split(' '));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`\`${typed}\` is not a gatehouse command. Did you mean \`${want}\`?`);
    expect(r.stderr).toContain(`gatehouse ${want} --help`);
    expect(r.stderr).not.toMatch(/[a-z]+:[a-z]+/);
    expect(r.stderr).not.toContain('USAGE');
    expect(r.stderr.split('\n').filter(Boolean).length).toBeLessThanOrEqual(3);
  });

  it('a word nothing resembles gets no guess, only the pointer to help', async () => {
    const r = await runCli(['qqqqqqqqqq']);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('Did you mean');
    expect(r.stderr).toContain('gatehouse help');
  });

  it('an unknown flag names the nearest flag of that command, in one short message', async () => {
    const r = await runCli(['backends', 'list', '--jsn']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown flag for `gatehouse backends list`: --jsn (did you mean `--json`?)');
    expect(r.stderr).not.toContain('USAGE');
    const other = await runCli(['status', '--ulr', 'http://127.0.0.1:1']);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('--ulr (did you mean `--url`?)');
  });

  it('help and version work as commands', async () => {
    const help = await runCli(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('TOPICS');
    expect(help.stdout).toContain('backends');
    const topic = await runCli(['help', 'backends', 'list']);
    expect(topic.code).toBe(0);
    expect(topic.stdout).toContain('$ gatehouse backends list');
    const version = await runCli(['version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^gatehouse\/\d+\.\d+\.\d+ /);
    const json = await runCli(['version', '--json']);
    expect(json.json()).toMatchObject({ name: 'gatehouse', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });
});

describe('shell completion', () => {
  const cache = () => ({ env: { XDG_CACHE_HOME: makeTempDir() } });

  it('bash: the script completes topics, verbs and flags in a real bash', async () => {
    const r = await runCli(['completion', 'bash'], cache());
    expect(r.code, r.stderr).toBe(0);
    const dir = makeTempDir();
    const script = join(dir, 'gatehouse.bash');
    writeFileSync(script, r.stdout);
    const probe = [
      `source ${script}`,
      'COMP_WORDS=(gatehouse backends li); COMP_CWORD=2; _gatehouse_autocomplete; echo "A:${COMPREPLY[*]}"',
      'COMP_WORDS=(gatehouse stat); COMP_CWORD=1; _gatehouse_autocomplete; echo "B:${COMPREPLY[*]}"',
      'COMP_WORDS=(gatehouse tools --back); COMP_CWORD=2; _gatehouse_autocomplete; echo "C:${COMPREPLY[*]}"',
    ].join('\n');
    const bash = spawnSync('bash', ['-c', probe], { encoding: 'utf8' });
    expect(bash.status, bash.stderr).toBe(0);
    expect(bash.stdout).toContain('A:list');
    expect(bash.stdout).toContain('B:status');
    expect(bash.stdout).toContain('C:--backend');
  });

  it('zsh: a #compdef script that knows the commands', async () => {
    const r = await runCli(['completion', 'zsh'], cache());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith('#compdef gatehouse')).toBe(true);
    expect(r.stdout).toContain('status');
    expect(r.stdout).toContain('backends');
  });

  it('fish: words complete after their prefix and flags after their command, never in colon form', async () => {
    const r = await runCli(['completion', 'fish']);
    expect(r.code, r.stderr).toBe(0);
    const s = r.stdout;
    expect(s).toContain("complete -c gatehouse -n '__gatehouse_at' -a 'backends' -d 'Register and inspect MCP and REST backends'");
    expect(s).toContain("complete -c gatehouse -n '__gatehouse_at backends' -a 'list'");
    expect(s).toContain("complete -c gatehouse -n '__gatehouse_at clients token' -a 'create'");
    expect(s).toMatch(/complete -c gatehouse -n '__gatehouse_in tools' -l backend -r -d /);
    expect(s).not.toMatch(/'[a-z-]+:[a-z-]+'/);
    // Options complete as values: serve --log-format takes pretty or json.
    expect(s).toMatch(/-n '__gatehouse_in serve' -l log-format -x -a 'pretty json'/);
    const fish = spawnSync('fish', ['--version'], { encoding: 'utf8' });
    if (fish.status === 0) {
      const check = spawnSync('fish', ['-n', '-c', s], { encoding: 'utf8' });
      expect(check.status, check.stderr).toBe(0);
    }
  });

  it('an unknown shell is a usage error naming the choices', async () => {
    const r = await runCli(['completion', 'tcsh']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bash, zsh, fish/);
  });
});
