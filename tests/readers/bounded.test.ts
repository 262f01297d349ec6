// Bounded reads (readers/bounded.ts): a stream is read up to a limit and no further; lines one at a time.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LineTooLongError, readAtMost, readLines, TooManyBytesError } from '../../readers/bounded.ts';

const chunks = (...parts: string[]) => Readable.from(parts.map((p) => Buffer.from(p)));

async function collect(stream: Readable, max: number): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = [];
  for await (const { line, bytes } of readLines(stream, max)) out.push([line, bytes.toString()]);
  return out;
}

describe('readAtMost', () => {
  it('reads a stream up to the limit, and stops reading an endless one just past it', async () => {
    expect((await readAtMost(chunks('ab', 'cd'), 4)).toString()).toBe('abcd');
    await expect(readAtMost(chunks('ab', 'cde'), 4)).rejects.toBeInstanceOf(TooManyBytesError);
    let pulled = 0;
    const endless = new Readable({
      read() {
        pulled++;
        this.push(Buffer.alloc(1024));
      },
    });
    await expect(readAtMost(endless, 10 * 1024)).rejects.toThrow('more than 10240 bytes');
    expect(pulled).toBeLessThan(20);
    expect(endless.destroyed).toBe(true);
  });
});

describe('readLines', () => {
  it('splits lines across chunks, drops \\r\\n, keeps a last line without a newline', async () => {
    expect(await collect(chunks('a\r\nb', 'c\n\nd'), 10)).toEqual([
      [1, 'a'],
      [2, 'bc'],
      [3, ''],
      [4, 'd'],
    ]);
  });

  it('refuses a line over the limit as soon as it passes it, naming the line', async () => {
    const err = await collect(chunks('ok\n', 'x'.repeat(6), 'x'.repeat(6), '\nlater\n'), 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LineTooLongError);
    expect(err).toMatchObject({ line: 2, limit: 10 });
    // an endless line (no newline ever): stopped at the limit
    const endless = new Readable({
      read() {
        this.push(Buffer.alloc(4096, 'y'));
      },
    });
    await expect(collect(endless, 64 * 1024)).rejects.toMatchObject({ line: 1 });
    expect(endless.destroyed).toBe(true);
  });
});
