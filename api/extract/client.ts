// Reads uploaded files (host.ts) in a worker thread, one at a time, with a time and memory limit each: a file that
// takes longer than `timeoutMs` or more memory than `maxMemoryMb` stops the worker (a fresh one reads the next
// file) and is refused; more than `maxPending` files waiting is refused at once. The API's main thread only
// posts bytes and gets text back, so /healthz and every other request go on answering meanwhile.
import { Worker } from 'node:worker_threads';
import type { ExtractFailure, ExtractFormat, ExtractReply, ExtractRequest } from './protocol.ts';

const ENTRY = new URL('./entry.mjs', import.meta.url);

export interface ExtractorOptions {
  /** Milliseconds one file may take to read. */
  timeoutMs: number;
  /** Files waiting to be read, at most. */
  maxPending: number;
  /** Heap of the worker (MB): a file needing more is refused. */
  maxMemoryMb: number;
}

export const DEFAULT_EXTRACTOR: Readonly<ExtractorOptions> = Object.freeze({ timeoutMs: 10_000, maxPending: 32, maxMemoryMb: 256 });

/** The extractor itself failed a file: it took too long or too much memory, too many were waiting, or the worker died. */
export class ExtractError extends Error {
  constructor(
    readonly reason: 'timeout' | 'memory' | 'busy' | 'crashed',
    message: string,
  ) {
    super(message);
    this.name = 'ExtractError';
  }
}

export type ExtractResult = { ok: true; text: string } | { ok: false; error: ExtractFailure };

interface Task {
  request: Omit<ExtractRequest, 'id'>;
  resolve: (r: ExtractResult) => void;
  reject: (e: Error) => void;
}

export class TextExtractor {
  private worker?: Worker;
  private ready?: Promise<Worker>;
  private readonly waiting: Task[] = [];
  private running?: { task: Task; id: number; timer?: NodeJS.Timeout };
  private nextId = 1;
  private closed = false;

  constructor(readonly options: ExtractorOptions = DEFAULT_EXTRACTOR) {}

  /** Starts the worker now (it compiles its TypeScript on start), so the first upload does not wait for it. */
  async warm(): Promise<void> {
    await this.start();
  }

  /** The text of a file, or the reader's reason for refusing it; rejects with ExtractError when the extractor failed. */
  extract(bytes: Uint8Array, format: ExtractFormat, maxChars: number): Promise<ExtractResult> {
    if (this.closed) return Promise.reject(new ExtractError('crashed', 'the file reader is shut down'));
    if (this.waiting.length >= this.options.maxPending) {
      return Promise.reject(new ExtractError('busy', `${this.options.maxPending} uploaded files are already waiting to be read`));
    }
    // A copy the worker can own (the request's buffer may be a slice of a larger pool).
    const own = new Uint8Array(bytes);
    return new Promise((resolve, reject) => {
      this.waiting.push({ request: { bytes: own, format, maxChars }, resolve, reject });
      void this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.waiting.splice(0)) t.reject(new ExtractError('crashed', 'the file reader is shut down'));
    const w = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    await w?.terminate();
  }

  private start(): Promise<Worker> {
    this.ready ??= new Promise<Worker>((resolve, reject) => {
      const worker = new Worker(ENTRY, { resourceLimits: { maxOldGenerationSizeMb: this.options.maxMemoryMb } });
      const onFirst = (m: unknown) => {
        if ((m as { ready?: boolean }).ready) {
          worker.off('message', onFirst);
          worker.on('message', (reply: ExtractReply) => this.onReply(reply));
          this.idle(worker); // after the listeners: adding one refs the worker again
          resolve(worker);
        }
      };
      worker.on('message', onFirst);
      worker.on('error', (err) => {
        reject(err);
        this.onDeath(worker, err);
      });
      worker.on('exit', (code) => {
        reject(new Error(`the file reader exited (code ${code}) while starting`));
        this.onDeath(worker, new Error(`the file reader exited (code ${code})`));
      });
      this.worker = worker;
    });
    return this.ready;
  }

  private async pump(): Promise<void> {
    if (this.running || this.waiting.length === 0 || this.closed) return;
    const task = this.waiting.shift()!;
    const id = this.nextId++;
    this.running = { task, id };
    let worker: Worker;
    try {
      worker = await this.start();
    } catch (err) {
      if (this.running?.id === id) this.fail(new ExtractError('crashed', `the file reader could not start: ${(err as Error).message}`));
      return;
    }
    if (this.running?.id !== id) return;
    // The clock starts with the reading, not with the worker's start (a fresh worker compiles its code first).
    this.running.timer = setTimeout(() => {
      // Stuck on this file: fail it and stop the worker; a fresh one reads the next file.
      if (this.running?.id !== id) return;
      this.fail(new ExtractError('timeout', `reading the file took longer than ${this.options.timeoutMs} ms`));
      this.drop(worker);
    }, this.options.timeoutMs);
    worker.ref(); // a file being read keeps the process alive until it is answered
    worker.postMessage({ id, ...task.request } satisfies ExtractRequest, [task.request.bytes.buffer as ArrayBuffer]);
  }

  /** An idle worker (started, nothing being read) is never what keeps a process alive. */
  private idle(worker: Worker): void {
    if (!this.running && this.waiting.length === 0) worker.unref();
  }

  private onReply(reply: ExtractReply): void {
    if (this.running?.id !== reply.id) return;
    const { task, timer } = this.running;
    clearTimeout(timer);
    this.running = undefined;
    task.resolve(reply.ok ? { ok: true, text: reply.text } : { ok: false, error: reply.error });
    if (this.worker) this.idle(this.worker);
    void this.pump();
  }

  /** Fails the file being read and moves on to the next. */
  private fail(err: Error): void {
    if (!this.running) return;
    const { task, timer } = this.running;
    clearTimeout(timer);
    this.running = undefined;
    task.reject(err);
    queueMicrotask(() => void this.pump());
  }

  private onDeath(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.drop(worker);
    const oom = (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
    this.fail(
      oom
        ? new ExtractError('memory', `reading the file needs more than ${this.options.maxMemoryMb} MB`)
        : new ExtractError('crashed', `the file reader failed: ${err.message}`),
    );
  }

  private drop(worker: Worker): void {
    if (this.worker === worker) {
      this.worker = undefined;
      this.ready = undefined;
    }
    void worker.terminate();
  }
}

let shared: TextExtractor | undefined;

/** The process's extractor (one worker thread for every app in the process). */
export function sharedExtractor(): TextExtractor {
  shared ??= new TextExtractor();
  return shared;
}
