// The app without a port (supertest) and with fake detectors: shapes, every error code, limits, auth,
// CORS, the queue (coalescing, 429, withdrawal on timeout), metrics and extra routers.
import express from 'express';
import { strToU8, zipSync } from 'fflate';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../api/models.ts';
import { createApp } from '../../api/app.ts';
import { batchResponseSchema, detectionResultSchema, errorSchema } from '../../api/schemas.ts';
import { SAMPLE, appWith, fakeDetector, gate, silent } from './helpers.ts';

const json = { 'content-type': 'application/json' };

function expectError(res: request.Response, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.type).toBe('application/json');
  expect(errorSchema.parse(res.body).error.code).toBe(code);
  expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/); // no stack traces
}

describe('POST /v1/detect', () => {
  it('returns the runtime result with sentence offsets into the text', async () => {
    const app = appWith({ base: fakeDetector('ptd-base') });
    const res = await request(app).post('/v1/detect').send({ text: SAMPLE }).expect(200);
    const result = detectionResultSchema.parse(res.body);
    expect(result.sentences.length).toBe(4);
    for (const s of result.sentences) expect(SAMPLE.slice(s.start, s.end)).toBe(s.text);
    expect(result.model.name).toBe('ptd-base');
    expect(result.threshold).toBe(0.5);
  });

  it('uses the model and threshold asked for', async () => {
    const app = appWith({ base: fakeDetector('ptd-base'), small: fakeDetector('ptd-small') });
    const res = await request(app).post('/v1/detect').send({ text: SAMPLE, model: 'small', threshold: 0.1 }).expect(200);
    expect(res.body.model.name).toBe('ptd-small');
    expect(res.body.threshold).toBe(0.1);
    for (const s of res.body.sentences) expect(s.label).toBe(s.score >= 0.1 ? 'paraphrased' : 'human');
  });

  it.each([
    ['not JSON', '{"text": ', 'invalid_json'],
    ['a JSON string', '"hello"', 'invalid_json'],
    ['an array', '[1,2]', 'invalid_request'],
    ['no text', '{}', 'invalid_request'],
    ['empty text', '{"text": ""}', 'invalid_request'],
    ['blank text', '{"text": "  \\n\\t "}', 'invalid_request'],
    ['text of wrong type', '{"text": 42}', 'invalid_request'],
    ['an unknown field', '{"text": "Hello there.", "foo": 1}', 'invalid_request'],
    ['a __proto__ key', '{"text": "Hello there.", "__proto__": {"admin": true}}', 'invalid_request'],
    ['threshold above 1', '{"text": "Hello there.", "threshold": 2}', 'invalid_request'],
    ['threshold as string', '{"text": "Hello there.", "threshold": "0.5"}', 'invalid_request'],
    ['unknown model', '{"text": "Hello there.", "model": "huge"}', 'invalid_request'],
  ])('answers 400 to %s', async (_name, body, code) => {
    const app = appWith({ base: fakeDetector() });
    const res = await request(app).post('/v1/detect').set(json).send(body);
    expectError(res, 400, code);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('answers 400 invalid_utf8 to a body that is not UTF-8', async () => {
    const app = appWith({ base: fakeDetector() });
    const body = Buffer.concat([Buffer.from('{"text": "abc '), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]);
    // supertest would serialise a Buffer as JSON; send the raw bytes with fetch.
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const { port } = server.address() as import('node:net').AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/v1/detect`, { method: 'POST', headers: json, body });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_utf8');
    } finally {
      server.close();
    }
  });

  it('answers 415 when the body is not JSON', async () => {
    const app = appWith({ base: fakeDetector() });
    const res = await request(app).post('/v1/detect').set('content-type', 'text/plain').send('Hello there.');
    expectError(res, 415, 'unsupported_media_type');
  });

  it('answers 422 naming maxCharsPerDocument when the text is too long', async () => {
    const app = appWith({ base: fakeDetector() }, { limits: { maxCharsPerDocument: 100 } });
    const res = await request(app).post('/v1/detect').send({ text: 'a'.repeat(101) });
    expectError(res, 422, 'limit_exceeded');
    expect(res.body.error.limit).toBe('maxCharsPerDocument');
    expect(res.body.error.max).toBe(100);
    expect(res.body.error.message).toContain('maxCharsPerDocument');
    await request(app).post('/v1/detect').send({ text: 'a'.repeat(100) }).expect(200);
  });

  it('counts characters as Unicode code points, for one document and for a batch (model/limits.ts)', async () => {
    const app = appWith({ base: fakeDetector() }, { limits: { maxCharsPerDocument: 100, maxCharsPerBatch: 150 } });
    // 100 emoji are 200 UTF-16 units but 100 characters: accepted; 101 are refused.
    await request(app).post('/v1/detect').send({ text: '😀'.repeat(100) }).expect(200);
    const over = await request(app).post('/v1/detect').send({ text: '😀'.repeat(101) });
    expectError(over, 422, 'limit_exceeded');
    expect(over.body.error.message).toMatch(/more than 100 characters \(Unicode code points\)/);
    await request(app).post('/v1/detect/batch').send({ documents: [{ text: '😀'.repeat(75) }, { text: '😀'.repeat(75) }] }).expect(200);
    const batch = await request(app).post('/v1/detect/batch').send({ documents: [{ text: '😀'.repeat(75) }, { text: '😀'.repeat(76) }] });
    expect(batch.body.error.limit).toBe('maxCharsPerBatch');
    const doc = await request(app).get('/openapi.json').expect(200);
    expect(doc.body.components.schemas.DetectRequest.properties.text.maxLength).toBe(100); // JSON Schema counts code points too
  });

  it('answers 413 naming maxBodyBytes when the body is too large', async () => {
    const app = appWith({ base: fakeDetector() }, { limits: { maxBodyBytes: 1000 } });
    const res = await request(app).post('/v1/detect').send({ text: 'a'.repeat(2000) });
    expectError(res, 413, 'payload_too_large');
    expect(res.body.error.limit).toBe('maxBodyBytes');
  });

  it('scores an uploaded file (form upload): .txt, .html and .docx read as ptd score reads them, with form options', async () => {
    const app = appWith({ base: fakeDetector('ptd-base'), small: fakeDetector('ptd-small') });
    const txt = await request(app).post('/v1/detect').attach('file', Buffer.from(SAMPLE), 'essay.txt').expect(200);
    expect(detectionResultSchema.parse(txt.body).sentences.map((s) => s.text).join(' ')).toBe(SAMPLE.replace(/\s+/g, ' ').trim());
    const html = await request(app)
      .post('/v1/detect')
      .field('model', 'small')
      .field('threshold', '0.2')
      .attach('file', Buffer.from(`<html><head><title>x</title><script>var a</script></head><body><p>${SAMPLE}</p></body></html>`), {
        filename: 'page.htm',
        contentType: 'text/html',
      })
      .expect(200);
    expect(html.body.model.name).toBe('ptd-small');
    expect(html.body.threshold).toBe(0.2);
    expect(html.body.sentences.map((s: { text: string }) => s.text).join(' ')).not.toMatch(/var a|<p>/);
    const xml = '<w:document xmlns:w="x"><w:body><w:p><w:r><w:t>One sentence here.</w:t></w:r></w:p><w:p><w:r><w:t>Another one follows.</w:t></w:r></w:p></w:body></w:document>';
    const docx = await request(app).post('/v1/detect').attach('file', Buffer.from(zipSync({ 'word/document.xml': strToU8(xml) })), 'essay.docx').expect(200);
    expect(docx.body.sentences.map((s: { text: string }) => s.text)).toEqual(['One sentence here.', 'Another one follows.']);
  });

  it('refuses an upload it cannot read as one document, naming why', async () => {
    const app = appWith({ base: fakeDetector() }, { limits: { maxBodyBytes: 4000 } });
    expectError(await request(app).post('/v1/detect').attach('file', Buffer.from('%PDF-1.7'), { filename: 'scan.pdf', contentType: 'application/pdf' }), 415, 'unsupported_media_type');
    const many = await request(app).post('/v1/detect').attach('file', Buffer.from('{"text":"a"}\n'), 'docs.jsonl');
    expectError(many, 415, 'unsupported_media_type');
    expect(many.body.error.message).toMatch(/\/v1\/detect\/batch or \/v1\/jobs/);
    const fake = await request(app).post('/v1/detect').attach('file', Buffer.from('not a zip'), 'essay.docx');
    expectError(fake, 400, 'invalid_request');
    expect(fake.body.error.message).toBe('essay.docx: not a .docx file (not a zip archive)');
    expectError(await request(app).post('/v1/detect').field('model', 'base'), 400, 'invalid_request');
    expectError(await request(app).post('/v1/detect').field('colour', 'red').attach('file', Buffer.from(SAMPLE), 'a.txt'), 400, 'invalid_request');
    expectError(await request(app).post('/v1/detect').field('threshold', 'high').attach('file', Buffer.from(SAMPLE), 'a.txt'), 400, 'invalid_request');
    expectError(await request(app).post('/v1/detect').attach('file', Buffer.from('x'.repeat(5000)), 'big.txt'), 413, 'payload_too_large');
    expectError(await request(app).post('/v1/detect').attach('file', Buffer.from('   \n  '), 'empty.txt'), 400, 'invalid_request');
  });

  it('answers 405 to other methods and a JSON 404 to unknown paths', async () => {
    const app = appWith({ base: fakeDetector() });
    const res = await request(app).get('/v1/detect');
    expectError(res, 405, 'method_not_allowed');
    expect(res.headers.allow).toBe('POST');
    expectError(await request(app).get('/v1/nope'), 404, 'not_found');
    expectError(await request(app).post('/nope').send({}), 404, 'not_found');
  });

  it('answers 503 not_ready while the model is loading', async () => {
    const registry = new ModelRegistry([{ name: 'base', source: 'base' }]);
    const app = createApp({ models: registry, logger: silent, defaultMetrics: false });
    expectError(await request(app).post('/v1/detect').send({ text: SAMPLE }), 503, 'not_ready');
    const health = await request(app).get('/healthz').expect(503);
    expect(health.body).toEqual({ status: 'loading', models: { base: false } });
  });

  it('answers 500 internal_error without details when the model throws', async () => {
    const d = fakeDetector();
    d.poison = 'POISON';
    const app = appWith({ base: d });
    const res = await request(app).post('/v1/detect').send({ text: 'POISON. Some more text here.' });
    expectError(res, 500, 'internal_error');
    expect(res.body.error.message).toBe('internal server error');
  });
});

describe('POST /v1/detect/batch', () => {
  it('returns results with ids in input order', async () => {
    const app = appWith({ base: fakeDetector() });
    const documents = [
      { id: 'long', text: SAMPLE },
      { text: 'Short one. Very short.' },
      { id: 'mid', text: 'A middle sized document. It has two sentences.' },
    ];
    const res = await request(app).post('/v1/detect/batch').send({ documents }).expect(200);
    const body = batchResponseSchema.parse(res.body);
    expect(body.documents.map((d) => d.id)).toEqual(['long', '1', 'mid']);
    expect(body.documents.map((d) => d.index)).toEqual([0, 1, 2]);
    body.documents.forEach((d, i) => {
      for (const s of d.sentences) expect(documents[i]!.text.slice(s.start, s.end)).toBe(s.text);
    });
  });

  it('scores documents in batches, not one by one', async () => {
    const d = fakeDetector();
    const app = appWith({ base: d }, { limits: { maxBatchSize: 8 } });
    const documents = Array.from({ length: 20 }, (_, i) => ({ text: `Document number ${i}. It is here.` }));
    await request(app).post('/v1/detect/batch').send({ documents }).expect(200);
    expect(d.calls).toEqual([8, 8, 4]);
  });

  it('keeps the other documents when one makes the model throw', async () => {
    const d = fakeDetector();
    d.poison = 'POISON';
    const app = appWith({ base: d });
    const documents = [{ text: 'Fine. Fine too.' }, { text: 'POISON here.' }, { text: 'Also fine. Yes.' }];
    const res = await request(app).post('/v1/detect/batch').set('accept', 'application/x-ndjson').send({ documents }).expect(200);
    const lines = res.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    const byIndex = new Map(lines.map((l) => [l.index, l]));
    expect(byIndex.get(1).error.code).toBe('internal_error');
    expect(byIndex.get(0).sentences).toHaveLength(2);
    expect(byIndex.get(2).sentences).toHaveLength(2);
  });

  it('streams one JSON line per document with Accept: application/x-ndjson', async () => {
    const app = appWith({ base: fakeDetector() });
    const documents = Array.from({ length: 5 }, (_, i) => ({ id: `d${i}`, text: `Text ${i} is here. `.repeat(i + 1) }));
    const res = await request(app).post('/v1/detect/batch').set('accept', 'application/x-ndjson').send({ documents }).expect(200);
    expect(res.type).toBe('application/x-ndjson');
    const lines = res.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id).sort()).toEqual(['d0', 'd1', 'd2', 'd3', 'd4']);
    for (const l of lines) expect(detectionResultSchema.safeParse(l).success).toBe(true);
  });

  it('streams each NDJSON line as soon as its document is scored', async () => {
    const d = fakeDetector();
    const app = appWith({ base: d }, { limits: { maxBatchSize: 1 } });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const g = gate();
    try {
      const { port } = server.address() as import('node:net').AddressInfo;
      // The first model call goes through; the second waits for the gate.
      const original = d.scoreMany.bind(d);
      let calls = 0;
      d.scoreMany = async (inputs, options) => {
        if (++calls === 2) await g.promise;
        return original(inputs, options);
      };
      const res = await fetch(`http://127.0.0.1:${port}/v1/detect/batch`, {
        method: 'POST',
        headers: { ...json, accept: 'application/x-ndjson' },
        body: JSON.stringify({ documents: [{ id: 'a', text: 'Short.' }, { id: 'b', text: 'A longer one here.' }] }),
      });
      const reader = res.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(JSON.parse(first.trim()).id).toBe('a'); // shortest first, delivered while 'b' is still waiting
      g.open();
      let rest = '';
      for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
      expect(JSON.parse(rest.trim()).id).toBe('b');
    } finally {
      g.open();
      server.close();
    }
  });

  it.each([
    ['too many documents', { documents: Array.from({ length: 4 }, () => ({ text: 'Hi there.' })) }, 'maxDocumentsPerBatch'],
    ['a document too long', { documents: [{ text: 'x'.repeat(51) }] }, 'maxCharsPerDocument'],
    ['too many characters in all', { documents: [{ text: 'x'.repeat(40) }, { text: 'y'.repeat(40) }] }, 'maxCharsPerBatch'],
  ])('answers 422 to %s', async (_name, body, limit) => {
    const app = appWith({ base: fakeDetector() }, { limits: { maxDocumentsPerBatch: 3, maxCharsPerDocument: 50, maxCharsPerBatch: 60 } });
    const res = await request(app).post('/v1/detect/batch').send(body);
    expectError(res, 422, 'limit_exceeded');
    expect(res.body.error.limit).toBe(limit);
  });

  it.each([
    ['no documents', { documents: [] }],
    ['documents not an array', { documents: 'abc' }],
    ['a document without text', { documents: [{ id: 'a' }] }],
    ['a numeric id', { documents: [{ id: 1, text: 'Hello.' }] }],
  ])('answers 400 to %s', async (_name, body) => {
    const app = appWith({ base: fakeDetector() });
    expectError(await request(app).post('/v1/detect/batch').send(body), 400, 'invalid_request');
  });
});

describe('the queue', () => {
  it('coalesces concurrent single-document requests into one model call', async () => {
    const d = fakeDetector();
    const g = gate();
    d.gate = g.promise;
    const app = appWith({ base: d }, { limits: { maxBatchSize: 8 } });
    const server = app.listen(0, '127.0.0.1');
    try {
      const first = request(server).post('/v1/detect').send({ text: 'First one. Here.' });
      const firstDone = first.then((r) => r);
      await waitFor(() => d.calls.length === 1);
      const rest = Array.from({ length: 5 }, (_, i) => request(server).post('/v1/detect').send({ text: `Doc ${i}. More.` }).then((r) => r));
      await waitFor(() => app.locals.ptd.queue.depth === 5);
      g.open();
      const all = await Promise.all([firstDone, ...rest]);
      for (const r of all) expect(r.status).toBe(200);
      expect(d.calls).toEqual([1, 5]);
    } finally {
      server.close();
    }
  });

  it('gives a CPU model batches of 4 and a GPU model batches of 32 unless configured', async () => {
    const cpu = fakeDetector('c', 'cpu');
    const gpu = fakeDetector('g', 'cuda');
    const app = appWith({ cpu, gpu });
    const documents = Array.from({ length: 40 }, (_, i) => ({ text: `Document ${i}. Here.` }));
    await request(app).post('/v1/detect/batch').send({ documents: documents.slice(0, 10), model: 'cpu' }).expect(200);
    await request(app).post('/v1/detect/batch').send({ documents, model: 'gpu' }).expect(200);
    expect(cpu.calls).toEqual([4, 4, 2]);
    expect(gpu.calls).toEqual([32, 8]);
  });

  it('answers 429 with Retry-After when full, and recovers', async () => {
    const d = fakeDetector();
    const g = gate();
    d.gate = g.promise;
    const app = appWith({ base: d }, { limits: { maxQueuedDocuments: 3, maxDocumentsPerBatch: 3, maxBatchSize: 1 } });
    const server = app.listen(0, '127.0.0.1');
    try {
      const pending = [request(server).post('/v1/detect').send({ text: 'Running now.' }).then((r) => r)];
      await waitFor(() => d.calls.length === 1);
      pending.push(request(server).post('/v1/detect/batch').send({ documents: [{ text: 'One.' }, { text: 'Two.' }] }).then((r) => r));
      await waitFor(() => app.locals.ptd.queue.depth === 2);
      const refused = await request(server).post('/v1/detect/batch').send({ documents: [{ text: 'A.' }, { text: 'B.' }] });
      expectError(refused, 429, 'queue_full');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(refused.body.error.limit).toBe('maxQueuedDocuments');
      pending.push(request(server).post('/v1/detect').send({ text: 'Fits.' }).then((r) => r));
      await waitFor(() => app.locals.ptd.queue.depth === 3);
      g.open();
      for (const r of await Promise.all(pending)) expect(r.status).toBe(200);
      await request(server).post('/v1/detect/batch').send({ documents: [{ text: 'A.' }, { text: 'B.' }] }).expect(200);
      const metrics = await request(server).get('/metrics');
      expect(metrics.text).toMatch(/ptd_rejected_requests_total\{reason="queue_full"\} 1/);
    } finally {
      server.close();
    }
  });

  it('answers 503 timeout and withdraws documents that did not start', async () => {
    const d = fakeDetector();
    const g = gate();
    d.gate = g.promise;
    const app = appWith({ base: d }, { limits: { requestTimeoutMs: 200, maxBatchSize: 1 } });
    const server = app.listen(0, '127.0.0.1');
    try {
      const [a, b] = await Promise.all([
        request(server).post('/v1/detect').send({ text: 'Runs first.' }),
        request(server).post('/v1/detect').send({ text: 'Waits behind.' }),
      ]);
      expectError(a, 503, 'timeout');
      expectError(b, 503, 'timeout');
      expect(a.body.error.limit).toBe('requestTimeoutMs');
      expect(app.locals.ptd.queue.depth).toBe(0);
      g.open();
      d.gate = undefined;
      await request(server).post('/v1/detect').send({ text: 'Later.' }).expect(200);
      expect(d.calls).toEqual([1, 1]);
    } finally {
      server.close();
    }
  });
});

describe('auth and CORS', () => {
  it('requires a matching x-api-key on /v1 when keys are set', async () => {
    const app = appWith({ base: fakeDetector() }, { apiKeys: ['k1', 'k2'] });
    expectError(await request(app).post('/v1/detect').send({ text: SAMPLE }), 401, 'unauthorized');
    expectError(await request(app).post('/v1/detect').set('x-api-key', 'nope').send({ text: SAMPLE }), 401, 'unauthorized');
    expectError(await request(app).get('/v1/models'), 401, 'unauthorized');
    expectError(await request(app).post('/v1/detect/batch').send({}), 401, 'unauthorized');
    await request(app).post('/v1/detect').set('x-api-key', 'k2').send({ text: SAMPLE }).expect(200);
    await request(app).get('/v1/models').set('x-api-key', 'k1').expect(200);
    await request(app).get('/healthz').expect(200);
    const doc = await request(app).get('/openapi.json').expect(200);
    expect(doc.body.paths['/v1/detect'].post.security).toEqual([{ apiKey: [] }]);
  });

  it('needs no key when none are set', async () => {
    const app = appWith({ base: fakeDetector() });
    await request(app).get('/v1/models').expect(200);
  });

  it('sends no CORS headers unless configured', async () => {
    const app = appWith({ base: fakeDetector() });
    const res = await request(app).get('/v1/models').set('origin', 'https://evil.example');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await request(app).options('/v1/detect').set('origin', 'https://evil.example').set('access-control-request-method', 'POST');
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('allows only the configured origins', async () => {
    const app = appWith({ base: fakeDetector() }, { corsOrigins: ['https://ok.example'], apiKeys: ['k'] });
    const pre = await request(app).options('/v1/detect').set('origin', 'https://ok.example').set('access-control-request-method', 'POST');
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://ok.example');
    expect(pre.headers['access-control-allow-headers']).toContain('x-api-key');
    const other = await request(app).get('/healthz').set('origin', 'https://other.example');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('GET endpoints', () => {
  it('/v1/models lists models, devices, thresholds and limits', async () => {
    const app = appWith({ base: fakeDetector('ptd-base'), small: fakeDetector('ptd-small', 'cuda') }, { limits: { maxCharsPerDocument: 1234 } });
    const res = await request(app).get('/v1/models').expect(200);
    expect(res.body.default).toBe('base');
    expect(res.body.models.map((m: { name: string }) => m.name)).toEqual(['base', 'small']);
    expect(res.body.models[1].info.device).toBe('cuda');
    expect(res.body.models[0].thresholds[0].targetFpr).toBe(0.01);
    expect(res.body.limits.maxCharsPerDocument).toBe(1234);
  });

  it('/healthz is ok once loaded and /metrics counts documents', async () => {
    const app = appWith({ base: fakeDetector() });
    expect((await request(app).get('/healthz').expect(200)).body).toEqual({ status: 'ok', models: { base: true } });
    await request(app).post('/v1/detect/batch').send({ documents: [{ text: SAMPLE }, { text: 'One. Two.' }] }).expect(200);
    const m = await request(app).get('/metrics').expect(200);
    expect(m.type).toBe('text/plain');
    expect(m.text).toMatch(/ptd_documents_scored_total\{model="base"\} 2/);
    expect(m.text).toMatch(/ptd_sentences_scored_total\{model="base"\} 6/);
    expect(m.text).toMatch(/ptd_sentences_truncated_total\{model="base"\} 0/);
    expect(m.text).toMatch(/ptd_http_requests_total\{method="POST",route="\/v1\/detect\/batch",status="200"\} 1/);
    expect(m.text).toMatch(/ptd_http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/v1\/detect\/batch"\}/);
    expect(m.text).toMatch(/ptd_queue_depth 0/);
  });

  it('/metrics counts sentences that were too long for one window', async () => {
    const app = appWith({ base: fakeDetector() });
    const long = Array.from({ length: 600 }, (_, i) => `word${i}`).join(' ') + '.';
    const res = await request(app).post('/v1/detect').send({ text: `${SAMPLE} ${long}` }).expect(200);
    expect(res.body.coverage.truncated).toBe(1);
    const m = await request(app).get('/metrics').expect(200);
    expect(m.text).toMatch(/ptd_sentences_truncated_total\{model="base"\} 1/);
  });

  it('serves the playground with a CSP and no inline script', async () => {
    const app = appWith({ base: fakeDetector() });
    const page = await request(app).get('/').expect(200);
    expect(page.type).toBe('text/html');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const js = await request(app).get('/playground.js').expect(200);
    expect(js.type).toBe('text/javascript');
    expect(js.text.length).toBeGreaterThan(1000);
    await request(app).get('/playground.css').expect(200);
  });
});

describe('extra routers', () => {
  it('mounts under /v1 behind the API key and adds OpenAPI paths', async () => {
    const jobs = express.Router();
    jobs.get('/:id', (req, res) => void res.json({ id: req.params.id }));
    const app = appWith(
      { base: fakeDetector() },
      {
        apiKeys: ['k'],
        routers: [{ path: '/jobs', router: jobs, openapi: { paths: { '/v1/jobs/{id}': { get: { responses: { '200': { description: 'job' } } } } } } }],
      },
    );
    expectError(await request(app).get('/v1/jobs/7'), 401, 'unauthorized');
    expect((await request(app).get('/v1/jobs/7').set('x-api-key', 'k').expect(200)).body).toEqual({ id: '7' });
    const doc = await request(app).get('/openapi.json').expect(200);
    expect(doc.body.paths['/v1/jobs/{id}'].get.security).toEqual([{ apiKey: [] }]);
  });
});

async function waitFor(predicate: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}
