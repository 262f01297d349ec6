// Prometheus metrics (prom-client), one registry per app so that tests can run several apps side by side.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BatchEvent } from './model-queue.ts';

export interface Metrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  latency: Histogram<'method' | 'route'>;
  documents: Counter<'model'>;
  sentences: Counter<'model'>;
  truncated: Counter<'model'>;
  characters: Counter<'model'>;
  modelCalls: Histogram<'model'>;
  rejected: Counter<'reason'>;
  queueDepth: Gauge;
  inflight: Gauge;
  observeBatch(event: BatchEvent): void;
}

export function createMetrics(queueDepth: () => number, options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'ptd_' });
  const registers = [registry];
  const m = {
    registry,
    requests: new Counter({
      name: 'ptd_http_requests_total',
      help: 'HTTP requests answered, by route and status.',
      labelNames: ['method', 'route', 'status'] as const,
      registers,
    }),
    latency: new Histogram({
      name: 'ptd_http_request_duration_seconds',
      help: 'HTTP request latency in seconds, by route.',
      labelNames: ['method', 'route'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    documents: new Counter({ name: 'ptd_documents_scored_total', help: 'Documents scored.', labelNames: ['model'] as const, registers }),
    sentences: new Counter({ name: 'ptd_sentences_scored_total', help: 'Sentences scored.', labelNames: ['model'] as const, registers }),
    truncated: new Counter({
      name: 'ptd_sentences_truncated_total',
      help: 'Sentences longer than one model window, scored on their beginning only.',
      labelNames: ['model'] as const,
      registers,
    }),
    characters: new Counter({
      name: 'ptd_characters_scored_total',
      help: 'Characters of the documents scored.',
      labelNames: ['model'] as const,
      registers,
    }),
    modelCalls: new Histogram({
      name: 'ptd_model_call_duration_seconds',
      help: 'Seconds per model call (one batch of documents).',
      labelNames: ['model'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    rejected: new Counter({
      name: 'ptd_rejected_requests_total',
      help: 'Requests refused before scoring, by reason (queue_full, timeout, limit_exceeded, ...).',
      labelNames: ['reason'] as const,
      registers,
    }),
    queueDepth: new Gauge({
      name: 'ptd_queue_depth',
      help: 'Documents waiting for a model.',
      registers,
      collect() {
        this.set(queueDepth());
      },
    }),
    inflight: new Gauge({ name: 'ptd_inflight_requests', help: 'HTTP requests in progress.', registers }),
  };
  return {
    ...m,
    observeBatch(event: BatchEvent) {
      const model = event.model;
      m.modelCalls.observe({ model }, event.seconds);
      m.documents.inc({ model }, event.results.length);
      for (const r of event.results) {
        m.sentences.inc({ model }, r.coverage.scored);
        m.truncated.inc({ model }, r.coverage.truncated);
        const last = r.sentences[r.sentences.length - 1];
        if (last) m.characters.inc({ model }, last.end);
      }
    },
  };
}
