// `npm run bench:api`: a bounded load test of the HTTP API on loopback. Starts `ptd serve` in a child
// process (so the load generator does not share the server's event loop), then runs autocannon against
// POST /v1/detect and POST /v1/detect/batch and prints throughput, p50/p99 latency and errors.
//
//   npm run bench:api -- [--model small] [--connections 50] [--duration 20] [--batch 4] [--words 230]
//
// Documents are human passages from ../shared/data/ptd-corpus (or generated text when it is absent), cut
// to --words words (230 words ≈ 300 WordPiece tokens).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { bundledModels } from '../model/node.ts';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '20' },
    batch: { type: 'string', default: '4' },
    words: { type: 'string', default: '230' },
    corpus: { type: 'string', default: '../shared/data/ptd-corpus' },
    device: { type: 'string', default: 'auto' },
  },
});

const model = args.model ?? bundledModels().find((m) => m.alias === 'small' && m.available)?.alias ?? 'tests/fixtures/models/tiny';
const connections = Number(args.connections);
const duration = Number(args.duration);
const batchSize = Number(args.batch);
const words = Number(args.words);

function documents(n: number): string[] {
  const file = path.join(args.corpus!, 'human_passages.jsonl');
  const out: string[] = [];
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const text = (JSON.parse(line) as { text: string }).text;
      const w = text.split(/\s+/);
      if (w.length < words) continue;
      out.push(w.slice(0, words).join(' '));
      if (out.length === n) return out;
    }
  }
  const vocab = 'the committee report said that several members of local council raised new concerns about cost and time of building work during spring'.split(' ');
  while (out.length < n) {
    const w: string[] = [];
    for (let i = 0; w.length < words; i++) w.push(vocab[(i * 7 + out.length * 13 + i * i) % vocab.length]! + ((i + 1) % 12 === 0 ? '.' : ''));
    out.push(`${w.join(' ')}.`);
  }
  return out;
}

async function startServer(): Promise<{ url: string; stop: () => Promise<void>; device: string }> {
  const child = spawn(process.execPath, ['bin/ptd.js', 'serve', '--port', '0', '--model', model, '--device', args.device!], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, PTD_MAX_QUEUE: process.env.PTD_MAX_QUEUE ?? '512' },
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const until = Date.now() + 120_000;
  while (!/ready \(/.test(out)) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`ptd serve did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = /playground at (\S+)/.exec(out)![1]!;
  const device = /ready \(\S+ on (\w+)/.exec(out)?.[1] ?? '?';
  return {
    url,
    device,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

interface Row {
  name: string;
  requests: number;
  docsPerSec: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

async function load(url: string, name: string, p: string, bodies: string[], docsPerRequest: number): Promise<Row> {
  let i = 0;
  const result = await autocannon({
    url: new URL(p, url).toString(),
    method: 'POST',
    connections,
    duration,
    timeout: 60,
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }],
  });
  return {
    name,
    requests: result.requests.total,
    reqPerSec: result.requests.average,
    docsPerSec: (result['2xx'] / duration) * docsPerRequest,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

const docs = documents(64);
const single = docs.map((text) => JSON.stringify({ text }));
const batches = docs.map((_, i) => JSON.stringify({ documents: Array.from({ length: batchSize }, (_, j) => ({ id: `d${j}`, text: docs[(i + j) % docs.length]! })) }));

const server = await startServer();
process.stderr.write(
  `bench:api: model ${model} on ${server.device}, ${connections} connections, ${duration} s per endpoint, ` +
    `${words}-word documents (≈${Math.round(words * 1.3)} tokens), batch of ${batchSize}\n`,
);
try {
  const rows = [
    await load(server.url, 'POST /v1/detect', '/v1/detect', single, 1),
    await load(server.url, `POST /v1/detect/batch (${batchSize} docs)`, '/v1/detect/batch', batches, batchSize),
  ];
  console.log(`\nptd API load test — model ${model} on ${server.device}, ${connections} connections × ${duration} s, loopback`);
  console.log('endpoint                          req/s   docs/s   p50 ms   p99 ms   non-2xx  errors  timeouts');
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(32)} ${r.reqPerSec.toFixed(1).padStart(6)} ${r.docsPerSec.toFixed(1).padStart(8)} ${String(r.p50).padStart(8)} ${String(r.p99).padStart(8)} ${String(r.non2xx).padStart(9)} ${String(r.errors).padStart(7)} ${String(r.timeouts).padStart(9)}`,
    );
  }
  console.log(JSON.stringify({ model, device: server.device, connections, duration, words, batchSize, rows }));
} finally {
  await server.stop();
}
