// A Detector whose model runs in a worker thread (host.ts). Same interface and results as loadNodeDetector's;
// the worker segments, tokenizes and runs the model, the calling thread only posts documents and gets results.
import { Worker } from 'node:worker_threads';
import type { DetectorLoadOptions } from '../index.ts';
import type { DetectionResult, Detector, DocumentInput, ScoreOptions } from '../types.ts';
import type { HostMessage, HostRequest, WireError } from './protocol.ts';

const ENTRY = new URL('./entry.mjs', import.meta.url);

function fromWire(e: WireError): Error {
  const err = e.name === 'RangeError' ? new RangeError(e.message) : new Error(e.message);
  if (err.name !== e.name) err.name = e.name;
  return err;
}

/**
 * Loads a model in a new worker thread and returns a Detector that scores there. `onProgress` is not passed
 * (functions cannot cross threads). Rejects with the worker's load error (same name and message).
 */
export async function loadWorkerDetector(options: DetectorLoadOptions): Promise<Detector> {
  const { onProgress: _dropped, ...rest } = options;
  const worker = new Worker(ENTRY, { workerData: rest });
  const pending = new Map<number, { resolve: (r: DetectionResult[]) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited: Error | undefined;
  let disposing: Promise<void> | undefined;

  const failAll = (err: Error) => {
    exited = err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };

  // (only our own listeners come off afterwards: Worker keeps its port referenced through listeners of its own)
  let onMessage: (m: HostMessage) => void = () => undefined;
  let onError: (err: Error) => void = () => undefined;
  let onExit: (code: number) => void = () => undefined;
  const ready = await new Promise<Extract<HostMessage, { type: 'ready' }>>((resolve, reject) => {
    onMessage = (m) => {
      if (m.type === 'ready') resolve(m);
      else if (m.type === 'load-failed') reject(fromWire(m.error));
    };
    onError = reject;
    onExit = (code) => reject(new Error(`the model worker exited (code ${code}) before the model loaded`));
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  })
    .catch(async (err: unknown) => {
      await worker.terminate();
      throw err;
    })
    .finally(() => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    });

  worker.on('message', (m: HostMessage) => {
    if (m.type === 'disposed') void worker.terminate();
    else if (m.type === 'scored' || m.type === 'failed') {
      const p = pending.get(m.id);
      pending.delete(m.id);
      // the model info is the client's (the API adds the devices tried before this one to it)
      if (m.type === 'scored') p?.resolve(m.results.map((r) => ({ ...r, model: modelInfo() })));
      else p?.reject(fromWire(m.error));
    }
  });
  worker.on('error', (err) => failAll(err));
  worker.on('exit', (code) => failAll(new Error(`the model worker exited (code ${code})`)));

  function scoreMany(inputs: DocumentInput[], opts?: ScoreOptions): Promise<DetectionResult[]> {
    if (disposing) return Promise.reject(new Error('the detector was disposed'));
    if (exited) return Promise.reject(exited);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ type: 'score', id, inputs, options: opts } satisfies HostRequest);
    });
  }

  const modelInfo = () => ({ ...detector.info, fallbacks: detector.info.fallbacks.map((f) => ({ ...f })) });
  const detector: Detector = {
    info: ready.info,
    thresholds: ready.thresholds,
    defaultThreshold: ready.defaultThreshold,
    maxTokens: ready.maxTokens,
    scoreMany,
    score: async (text, opts) => (await scoreMany([{ text }], opts))[0]!,
    scoreSentences: async (sentences, opts) => (await scoreMany([{ sentences }], opts))[0]!,
    dispose() {
      disposing ??= (async () => {
        if (exited) return;
        const done = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        worker.postMessage({ type: 'dispose' } satisfies HostRequest);
        await done;
      })();
      return disposing;
    },
  };
  return detector;
}
