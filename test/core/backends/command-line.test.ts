import { describe, expect, it } from 'vitest';
import { formatCommandLine, parseCommandLine, quoteArg } from '../../../src/core/backends/command-line.js';
import { UserError } from '../../../src/core/errors.js';

describe('parseCommandLine', () => {
  it.each([
    ['npx -y @modelcontextprotocol/server-everything', ['npx', '-y', '@modelcontextprotocol/server-everything']],
    ['  node   server.js\t--port 3  ', ['node', 'server.js', '--port', '3']],
    [`node server.js 'a b' "c d"`, ['node', 'server.js', 'a b', 'c d']],
    [`echo 'it'\\''s'`, ['echo', "it's"]],
    [`echo "say \\"hi\\""`, ['echo', 'say "hi"']],
    [`echo "back\\\\slash" "keep\\n" "\\$5"`, ['echo', 'back\\slash', 'keep\\n', '$5']],
    [`echo a\\ b c\\"d`, ['echo', 'a b', 'c"d']],
    [`--name="a b"x'y z'`, ['--name=a bxy z']],
    [`cmd '' ""`, ['cmd', '', '']],
    [`cmd '$HOME' 'a|b' "x;y" "a&&b" "~/x"`, ['cmd', '$HOME', 'a|b', 'x;y', 'a&&b', '~/x']],
    ['cmd a\\\nb', ['cmd', 'ab']],
    ['cmd $ 5$ a~b', ['cmd', '$', '5$', 'a~b']],
    ['python3 -m my_server --root=C:\\\\data', ['python3', '-m', 'my_server', '--root=C:\\data']],
    ['', []],
  ])('%j', (line, words) => {
    expect(parseCommandLine(line)).toEqual(words);
  });

  it.each([
    [`node 'unterminated`, /unterminated single quote/],
    [`node "unterminated`, /unterminated double quote/],
    ['node trailing\\', /trailing backslash/],
    ['node a | b', /shell operator "\|"/],
    ['cd x && npm start', /shell operator "&"/],
    ['node a > log', /shell operator ">"/],
    ['node a; b', /shell operator ";"/],
    ['node $HOME/x', /variable or command expansion/],
    ['node "${HOME}"', /expansion inside double quotes/],
    ['node $(pwd)', /variable or command expansion/],
    ['node `pwd`', /shell operator "`"/],
    ['node ~/server.js', /leading "~"/],
  ])('refuses %j', (line, re) => {
    let err: unknown;
    try {
      parseCommandLine(line);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(re);
    expect((err as UserError).exit).toBe(2);
    expect((err as UserError).hint).toBeTruthy();
  });

  it('names the flag and the position', () => {
    expect(() => parseCommandLine(`a 'b`, '--command')).toThrow(/--command: unterminated single quote at position 3/);
  });
});

describe('formatCommandLine', () => {
  it('quotes only what needs quoting', () => {
    expect(formatCommandLine('npx', ['-y', '@scope/pkg@1.2.3', '--port=3'])).toBe('npx -y @scope/pkg@1.2.3 --port=3');
    expect(formatCommandLine('node', ['a b', '', "it's", '$HOME', '~/x'])).toBe(`node 'a b' '' 'it'\\''s' '$HOME' '~/x'`);
    expect(quoteArg('a"b')).toBe(`'a"b'`);
  });

  it('round-trips through parseCommandLine', () => {
    const cases = [['node', 'server.js'], ['x', 'a b', '', "it's", '$HOME', '~', 'a|b', 'semi;colon', 'back\\slash', 'tab\there', 'new\nline', '"', "'", 'ünïcödé']];
    for (const words of cases) expect(parseCommandLine(formatCommandLine(words[0]!, words.slice(1)))).toEqual(words);
  });
});
