// A few hundred malformed or hostile requests against a real server: every one must get a 4xx with the
// JSON error shape, none may crash the process or hang, and the server must keep answering afterwards.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../api/server.ts';
import { startServer } from '../../api/server.ts';
import { SAMPLE, silent } from './helpers.ts';

interface Case {
  name: string;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body: Buffer | string;
}

const MAX_CHARS = 5_000;
const MAX_BODY = 64 * 1024;

/** Small deterministic PRNG (mulberry32), so a failure reproduces. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cases(): Case[] {
  const out: Case[] = [];
  const add = (name: string, body: unknown, extra: Partial<Case> = {}) =>
    out.push({ name, body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body), ...extra });
  const wrong: unknown[] = [null, 0, -1, 1.5, true, false, [], {}, ['a'], { a: 1 }, '', ' ', '\n\t', 1e308];
  for (const [i, v] of wrong.entries()) {
    if (typeof v !== 'string') add(`text=${i}`, { text: v });
    else add(`blank text ${i}`, { text: v });
    add(`threshold=${i}`, { text: SAMPLE, threshold: typeof v === 'number' && v >= 0 && v <= 1 ? 'x' : v });
    if (typeof v !== 'string' || v !== '') add(`model=${i}`, { text: SAMPLE, model: v === '' ? 'nope' : v });
    add(`documents=${i}`, { documents: v }, { path: '/v1/detect/batch' });
    add(`document item=${i}`, { documents: [v] }, { path: '/v1/detect/batch' });
    if (typeof v !== 'string' || v === '') add(`id=${i}`, { documents: [{ id: v, text: 'Hi there.' }] }, { path: '/v1/detect/batch' });
  }
  // Numbers JSON cannot hold, and thresholds out of range.
  for (const t of ['1e999', '-1e999', '-0.01', '1.0000001', '2', '"NaN"']) add(`threshold ${t}`, `{"text": "Hi there.", "threshold": ${t}}`);
  // Prototype pollution and unknown keys, at the top and inside documents.
  for (const key of ['__proto__', 'constructor', 'prototype', '__defineGetter__', 'hasOwnProperty', 'toString', 'x'.repeat(5000)]) {
    add(`key ${key.slice(0, 20)}`, `{"text": "Hi there.", ${JSON.stringify(key)}: {"polluted": true}}`);
    add(`doc key ${key.slice(0, 20)}`, `{"documents": [{"text": "Hi there.", ${JSON.stringify(key)}: {"polluted": true}}]}`, {
      path: '/v1/detect/batch',
    });
  }
  add('proto with constructor', '{"text": "Hi.", "constructor": {"prototype": {"polluted": true}}}');
  // Deep nesting.
  for (const depth of [100, 1_000, 10_000, 30_000]) {
    add(`deep array ${depth}`, `{"text": ${'['.repeat(depth)}${']'.repeat(depth)}}`);
    add(`deep object ${depth}`, `{"text": ${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`);
    add(`deep documents ${depth}`, `{"documents": ${'['.repeat(depth)}${']'.repeat(depth)}}`, { path: '/v1/detect/batch' });
  }
  add('unclosed deep', `{"text": ${'['.repeat(20_000)}`);
  // Huge strings: over the text limit (422) and over the body limit (413).
  add('text over maxChars', { text: 'word '.repeat(MAX_CHARS / 5 + 1) });
  add('body over maxBody', { text: 'a'.repeat(MAX_BODY * 2) });
  add('many documents', { documents: Array.from({ length: 500 }, () => ({ text: 'Hi.' })) }, { path: '/v1/detect/batch' });
  add('huge key count', `{${Array.from({ length: 3000 }, (_, i) => `"k${i}": ${i}`).join(',')}}`);
  add('huge number', `{"text": "Hi.", "threshold": 1${'0'.repeat(5000)}}`);
  // Invalid UTF-8 inside an otherwise valid body.
  const badBytes = [[0xff], [0xfe, 0xff], [0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xc3], [0xe2, 0x82], [0x80]];
  for (const [i, bytes] of badBytes.entries()) {
    const body = Buffer.concat([Buffer.from('{"text": "Valid start. '), Buffer.from(bytes), Buffer.from(' end."}')]);
    add(`invalid utf8 ${i}`, body);
    add(`invalid utf8 batch ${i}`, Buffer.concat([Buffer.from('{"documents":[{"text":"A. '), Buffer.from(bytes), Buffer.from('"}]}')]), {
      path: '/v1/detect/batch',
    });
  }
  // Truncations of a valid body: every proper prefix is invalid JSON.
  const valid = JSON.stringify({ text: SAMPLE, model: 'tiny', threshold: 0.5 });
  for (let cut = 0; cut < valid.length; cut += 7) add(`prefix ${cut}`, valid.slice(0, cut));
  // Random garbage and random mutations that break the syntax.
  const rand = rng(13);
  for (let i = 0; i < 90; i++) {
    const n = 1 + Math.floor(rand() * 300);
    const bytes = Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
    if (bytes[0] === 0x7b || bytes[0] === 0x5b) bytes[0] = 0x21; // never start like JSON
    add(`garbage ${i}`, bytes);
  }
  for (let i = 0; i < 70; i++) {
    const chars = [...valid];
    const at = Math.floor(rand() * chars.length);
    chars.splice(at, 0, ['{', '}', '"', ',', ':', '\\', '\u0000'][i % 7]!);
    const s = chars.join('');
    try {
      JSON.parse(s);
      continue; // still valid JSON: not a malformed case
    } catch {
      add(`mutation ${i}`, s);
    }
  }
  // Wrong media types, charsets and encodings.
  const ok = JSON.stringify({ text: SAMPLE });
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json; charset=latin1', 'application/json; charset=utf-16']) {
    add(`content-type ${type}`, ok, { headers: { 'content-type': type } });
  }
  add('no content-type', ok, { headers: { 'content-type': '' } });
  add('gzip that is not gzip', ok, { headers: { 'content-encoding': 'gzip' } });
  add('unknown encoding', ok, { headers: { 'content-encoding': 'br2' } });
  add('empty body', '');
  // Methods and paths.
  for (const method of ['PUT', 'PATCH', 'DELETE', 'GET']) add(`${method} detect`, ok, { method });
  for (const p of ['/v1/detect%00', '/v1/../etc/passwd', '/v1/detect/batch/x', '/v2/detect', '/%ff%fe']) add(`path ${p}`, ok, { path: p });
  return out;
}

function send(base: URL, c: Case): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const body = Buffer.isBuffer(c.body) ? c.body : Buffer.from(c.body, 'utf8');
    const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(body.length), ...c.headers };
    if (headers['content-type'] === '') delete headers['content-type'];
    const req = httpRequest(
      { host: base.hostname, port: base.port, method: c.method ?? 'POST', path: c.path ?? '/v1/detect', headers, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${c.name}`)));
    req.on('error', reject);
    req.end(body);
  });
}

describe('fuzz', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({
      port: 0,
      models: ['tests/fixtures/models/tiny'],
      device: 'cpu',
      logger: silent,
      limits: { maxCharsPerDocument: MAX_CHARS, maxBodyBytes: MAX_BODY, maxDocumentsPerBatch: 32 },
    });
    await server.ready;
  });
  afterAll(() => server?.close());

  it('answers every hostile request with a 4xx JSON error and keeps serving', async () => {
    const all = cases();
    expect(all.length).toBeGreaterThanOrEqual(300);
    const base = new URL(server.url);
    const failures: string[] = [];
    for (let i = 0; i < all.length; i += 8) {
      const chunk = all.slice(i, i + 8);
      const results = await Promise.all(chunk.map((c) => send(base, c)));
      results.forEach((r, j) => {
        const c = chunk[j]!;
        let code: unknown;
        try {
          code = (JSON.parse(r.body) as { error?: { code?: unknown } }).error?.code;
        } catch {
          code = undefined;
        }
        if (r.status < 400 || r.status >= 500 || typeof code !== 'string' || /\.ts:\d+|node_modules/.test(r.body)) {
          failures.push(`${c.name}: ${r.status} ${r.body.slice(0, 120)}`);
        }
      });
    }
    expect(failures).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    // Still alive and still correct.
    expect((await fetch(new URL('/healthz', base))).status).toBe(200);
    const res = await fetch(new URL('/v1/detect', base), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: SAMPLE }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { sentences: unknown[] }).sentences).toHaveLength(4);
  });

  it('scores odd but valid text (lone surrogates, control characters, RTL, emoji) without failing', async () => {
    const base = new URL(server.url);
    for (const text of ['\ud800 lone surrogate. Another \udfff one.', 'Tabs\tand\u0000nulls. Bell\u0007.', 'مرحبا بالعالم. שלום עולם.', '👍🏽 emoji only. 🤖🤖🤖.', '.', '...', '\u200b\u200b\u200bzero width.']) {
      const res = await fetch(new URL('/v1/detect', base), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
      expect(res.status, text).toBe(200);
      const body = (await res.json()) as { sentences: Array<{ start: number; end: number; text: string }> };
      for (const s of body.sentences) expect(text.slice(s.start, s.end)).toBe(s.text);
    }
  });
});
