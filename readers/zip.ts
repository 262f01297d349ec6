// Reads one entry of a zip archive with bounds, for .docx files from anyone (an upload, a dropped file): the
// central directory is read first, so an archive with too many parts, or an entry that declares more bytes than
// allowed, is refused before anything is inflated; the entry is then inflated with its output bounded, and refused
// as soon as it passes the cap whatever its header said. fflate's unzipSync, by contrast, allocates whatever size
// the archive claims and inflates an entry in one go.
// Browser-safe: in a browser, fflate's streaming Inflate a few kilobytes at a time; in Node, zlib (native, about
// 20× faster, with `maxOutputLength` as its bound), taken with process.getBuiltinModule so nothing is imported.
import { Inflate } from 'fflate';
import type * as Zlib from 'node:zlib';

export interface ZipLimits {
  /** Entries (parts) in the archive at most. */
  maxEntries: number;
  /** Uncompressed bytes of the entry read at most. */
  maxEntryBytes: number;
}

/** Why an archive was refused: `invalid` (not a readable zip), `too_large` (a limit passed). */
export class ZipError extends Error {
  constructor(
    readonly kind: 'invalid' | 'too_large',
    message: string,
    /** With `too_large`: the limit passed. */
    readonly limit?: keyof ZipLimits,
  ) {
    super(message);
    this.name = 'ZipError';
  }
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** Compressed bytes handed to the inflater at a time: at most ~1,032× as many come out of one push. */
const STEP = 4096;

interface Entry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/** The entries of the central directory; throws ZipError when it is missing, damaged or holds too many. */
export function listEntries(bytes: Uint8Array, maxEntries: number): Entry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end-of-central-directory record: 22 bytes plus a comment of up to 65,535, at the end.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError('invalid', 'the zip archive has no central directory (cut short?)');
  const count = view.getUint16(eocd + 10, true);
  const dirOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || dirOffset === 0xffffffff) throw new ZipError('too_large', 'ZIP64 archives are not read (a .docx never needs one)', 'maxEntries');
  if (count > maxEntries) throw new ZipError('too_large', `the archive has ${count} parts, more than ${maxEntries}`, 'maxEntries');
  const names = new TextDecoder('utf-8');
  const entries: Entry[] = [];
  let p = dirOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== CENTRAL) throw new ZipError('invalid', 'the zip central directory is damaged');
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    if (p + 46 + nameLength > bytes.length) throw new ZipError('invalid', 'the zip central directory is damaged');
    entries.push({
      flags: view.getUint16(p + 8, true),
      method: view.getUint16(p + 10, true),
      compressedSize: view.getUint32(p + 20, true),
      size: view.getUint32(p + 24, true),
      localOffset: view.getUint32(p + 42, true),
      name: names.decode(bytes.subarray(p + 46, p + 46 + nameLength)),
    });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Node's zlib where this runs in Node 20.16+, else undefined. */
function nodeZlib(): typeof Zlib | undefined {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return p?.getBuiltinModule?.('node:zlib') as typeof Zlib | undefined;
}

/** Bytes handed to `onChunk` at a time: the reader can stop after any of them. */
const CHUNK = 64 * 1024;

/**
 * Inflates the entry `name`, handing its bytes to `onChunk` in pieces of at most 64 KB. Returns false when the
 * archive has no such entry. Throws ZipError past a limit or on a damaged archive; whatever `onChunk` throws
 * stops the reading. `native: false` uses fflate where zlib is available too (tests of the browser's path).
 */
export function readEntry(
  bytes: Uint8Array,
  name: string,
  limits: ZipLimits,
  onChunk: (chunk: Uint8Array) => void,
  options: { native?: boolean } = {},
): boolean {
  const entry = listEntries(bytes, limits.maxEntries).find((e) => e.name === name);
  if (!entry) return false;
  if (entry.flags & 1) throw new ZipError('invalid', `${name} is encrypted`);
  if (entry.size > limits.maxEntryBytes) {
    throw new ZipError('too_large', `${name} declares ${entry.size} bytes uncompressed, more than ${limits.maxEntryBytes}`, 'maxEntryBytes');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const local = entry.localOffset;
  if (local + 30 > bytes.length || view.getUint32(local, true) !== LOCAL) throw new ZipError('invalid', `the local header of ${name} is damaged`);
  const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
  const end = start + entry.compressedSize;
  if (end > bytes.length) throw new ZipError('invalid', `${name} is cut short`);
  const data = bytes.subarray(start, end);

  let total = 0;
  const take = (chunk: Uint8Array) => {
    total += chunk.length;
    // The declared size was checked above; more than it, or more than the cap, is an archive that lies.
    if (total > limits.maxEntryBytes) throw new ZipError('too_large', `${name} inflates to more than ${limits.maxEntryBytes} bytes`, 'maxEntryBytes');
    if (total > entry.size) throw new ZipError('invalid', `${name} inflates to more bytes than its header declares`);
    for (let i = 0; i < chunk.length; i += CHUNK) onChunk(chunk.subarray(i, Math.min(chunk.length, i + CHUNK)));
  };
  if (entry.method === 0) {
    take(data);
    return true;
  }
  if (entry.method !== 8) throw new ZipError('invalid', `${name} uses compression method ${entry.method} (only deflate is read)`);
  const zlib = options.native === false ? undefined : nodeZlib();
  if (zlib) {
    // One byte more than allowed is enough to know: zlib stops there (RangeError) instead of inflating the rest.
    const bound = Math.min(limits.maxEntryBytes, entry.size) + 1;
    let out: Uint8Array;
    try {
      out = zlib.inflateRawSync(data, { maxOutputLength: bound });
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_BUFFER_TOO_LARGE') throw new ZipError('invalid', `${name} cannot be inflated: ${(err as Error).message}`);
      out = new Uint8Array(bound); // reported by take(): past the cap, or past the declared size
    }
    take(out);
    return true;
  }
  let finished = false;
  const inflater = new Inflate((chunk, final) => {
    take(chunk);
    finished ||= final;
  });
  try {
    for (let i = 0; i < data.length && !finished; i += STEP) inflater.push(data.subarray(i, Math.min(data.length, i + STEP)), i + STEP >= data.length);
  } catch (err) {
    if (err instanceof ZipError) throw err;
    // fflate's own errors: invalid block type, unexpected EOF, ...
    if (err instanceof Error && (err as { code?: unknown }).code !== undefined) throw new ZipError('invalid', `${name} cannot be inflated: ${err.message}`);
    throw err;
  }
  return true;
}
