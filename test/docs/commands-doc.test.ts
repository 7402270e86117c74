/**
 * docs/commands.md is generated from the oclif manifest (which the test run builds); this fails when
 * a command, flag or description changed without regenerating it, and checks the docs hold no
 * internal notes or links that leave the repository.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

describe('docs', () => {
  it('docs/commands.md is current with the CLI', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'gen-commands.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, `${r.stderr}`).toBe(0);
    const doc = readFileSync(join(ROOT, 'docs', 'commands.md'), 'utf8');
    for (const id of ['status', 'doctor', 'tools', 'call', 'completion', 'backends test']) expect(doc).toContain(`## \`gatehouse ${id}\``);
    expect(doc).not.toContain('<%=');
  });

  it('README and docs carry no internal notes and no links out of the repository', () => {
    const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
    for (const f of files) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      expect(text, f).not.toMatch(/Assembled by the lead|\.\.\/shared\/|DESIGN\.md/);
      expect(text.match(/\]\((?:https?:)?\/\/[^)]*\)/g) ?? [], f).toEqual([]);
    }
  });

  it('the README quick start stays two commands, followed by the walk-through', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const quick = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(quick.trim().split('\n')).toHaveLength(2);
    const headings = readme.match(/^## .*/gm) ?? [];
    expect(headings[headings.indexOf('## Quick start') + 1]).toMatch(/^## Ten minutes/);
    const walk = readme.slice(readme.indexOf('## Ten minutes'), readme.indexOf('## Using it'));
    for (const step of ['npm link', 'npm install -g', 'tokens add', '--template', '--cf-access-token', 'gatehouse serve', 'clients install claude-code', 'migrate map']) expect(walk).toContain(step);
  });
});
