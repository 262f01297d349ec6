// Messages between a worker-hosted detector (host.ts) and its client (client.ts).
import type { DetectionResult, DocumentInput, ModelInfo, ScoreOptions, Threshold } from '../types.ts';

export type HostRequest =
  | { type: 'score'; id: number; inputs: DocumentInput[]; options?: ScoreOptions }
  | { type: 'dispose' };

/** An error crossing the thread boundary: its class name and message (stack traces stay in the worker). */
export interface WireError {
  name: string;
  message: string;
}

export type HostMessage =
  | { type: 'ready'; info: ModelInfo; thresholds: Threshold[]; defaultThreshold: number; maxTokens: number }
  | { type: 'load-failed'; error: WireError }
  | { type: 'scored'; id: number; results: DetectionResult[] }
  | { type: 'failed'; id: number; error: WireError }
  | { type: 'disposed' };

export function toWire(err: unknown): WireError {
  return err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) };
}
