import { describe, expect, it } from 'vitest';
import { ptd } from '../helpers/ptd.ts';

describe('ptd command', () => {
  it('prints help and exits 0', async () => {
    const r = await ptd('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: ptd');
  });

  it('registers every face\'s commands', async () => {
    const r = await ptd('--help');
    const listed = [...r.stdout.matchAll(/^  (\w+)/gm)].map((m) => m[1]);
    expect(listed).toEqual(expect.arrayContaining(['score', 'dataset', 'eval', 'serve', 'worker', 'jobs']));
  });

  it('exits 2 with a message on an unknown command', async () => {
    const r = await ptd('no-such-command');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command|too many arguments/i);
  });
});
