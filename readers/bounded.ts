// Reading input streams without trusting their size: a file, a pipe, stdin or /dev/zero is read up to a byte limit
// and no further (the stream is destroyed there), and JSON lines are split one line at a time, each line bounded,
// so memory stays flat whatever comes in.
import type { Readable } from 'node:stream';

/** More bytes than allowed: `limit` is the number that was passed. */
export class TooManyBytesError extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} bytes`);
    this.name = 'TooManyBytesError';
  }
}

/** A line longer than allowed (1-based `line`). */
export class LineTooLongError extends Error {
  constructor(
    readonly line: number,
    readonly limit: number,
  ) {
    super(`line ${line} is longer than ${limit} bytes`);
    this.name = 'LineTooLongError';
  }
}

/** The whole stream if it holds at most `maxBytes`; TooManyBytesError as soon as it passes them (nothing more is read). */
export async function readAtMost(stream: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      size += buf.length;
      if (size > maxBytes) throw new TooManyBytesError(maxBytes);
      chunks.push(buf);
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks, size);
}

/**
 * The lines of a stream (without their `\n` or `\r\n`), numbered from 1, each at most `maxLineBytes`: a longer one
 * is a LineTooLongError as soon as it passes the limit, not once it has been read whole. `onBytes` hears of every
 * chunk read (for progress).
 */
export async function* readLines(stream: Readable, maxLineBytes: number, onBytes?: (n: number) => void): AsyncGenerator<{ line: number; bytes: Buffer }> {
  let pending: Buffer[] = [];
  let pendingSize = 0;
  let line = 0;
  const cut = (buf: Buffer) => (buf.length > 0 && buf[buf.length - 1] === 0x0d ? buf.subarray(0, buf.length - 1) : buf);
  try {
    for await (const chunk of stream) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      onBytes?.(buf.length);
      let start = 0;
      for (let nl = buf.indexOf(0x0a); nl !== -1; nl = buf.indexOf(0x0a, start)) {
        const piece = buf.subarray(start, nl);
        start = nl + 1;
        line++;
        if (pendingSize + piece.length > maxLineBytes + 1) throw new LineTooLongError(line, maxLineBytes);
        const whole = pendingSize > 0 ? Buffer.concat([...pending, piece]) : piece;
        pending = [];
        pendingSize = 0;
        yield { line, bytes: cut(whole) };
      }
      const rest = buf.subarray(start);
      if (rest.length > 0) {
        pendingSize += rest.length;
        if (pendingSize > maxLineBytes + 1) throw new LineTooLongError(line + 1, maxLineBytes);
        pending.push(Buffer.from(rest)); // a copy: the stream may reuse its buffer
      }
    }
    if (pendingSize > 0) yield { line: line + 1, bytes: cut(Buffer.concat(pending)) };
  } finally {
    stream.destroy();
  }
}
