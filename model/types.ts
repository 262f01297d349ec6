// The shapes every face of ptd shares: the CLI, the API, the extension and the evaluation all return
// `DetectionResult` and talk to a `Detector`. Plain data only (serialisable across messages and HTTP).

/** Where the model runs. `auto` picks the fastest device that actually loads and reports which. */
export type Device = 'auto' | 'webgpu' | 'wasm' | 'cpu' | 'cuda';
export type ResolvedDevice = Exclude<Device, 'auto'>;
export type Dtype = 'fp32' | 'q8';

/** A sentence found by segmentation: `text === document.slice(start, end)`. */
export interface Segment {
  index: number;
  text: string;
  start: number;
  end: number;
  /** A paragraph break (or the document start) precedes this sentence. */
  paragraphStart?: boolean;
}

export type SentenceLabel = 'paraphrased' | 'human';

export interface SentenceResult extends Segment {
  /** Calibrated probability that the sentence belongs to an LLM-paraphrased span. */
  score: number;
  /** Predicted lexical change (PASTED's 1 − BLEU-4 signal) of the sentence if it was rewritten, 0..1, when the model
   * has that output: it grades flagged sentences (light polish to heavy rewrite); whether it was rewritten is `score`. */
  degree?: number;
  label: SentenceLabel;
  /** The sentence was longer than one model window and only its beginning was read. */
  truncated?: boolean;
}

/** A run of adjacent flagged sentences, merged. Offsets are characters in the document. */
export interface Span {
  start: number;
  end: number;
  firstSentence: number;
  lastSentence: number;
  /** Mean sentence score over the span. */
  score: number;
}

export interface Coverage {
  /** Sentences found in the document. */
  sentences: number;
  /** Sentences that received a score (all of them, unless the document was empty). */
  scored: number;
  /** Sentences whose text did not fit one window and was cut before scoring. */
  truncated: number;
}

export interface DeviceFallback {
  device: ResolvedDevice;
  reason: string;
}

export interface ModelInfo {
  /** `ptd-small`, `ptd-base`, a directory name or a hub id. */
  name: string;
  version: string;
  device: ResolvedDevice;
  dtype: Dtype;
  /** Devices tried before `device` and why each failed to load (empty when the first choice worked). */
  fallbacks: DeviceFallback[];
}

/** A threshold fitted on the validation split for a target false-positive rate (never a bare 0.5). */
export interface Threshold {
  targetFpr: number;
  threshold: number;
  /** FPR reached on the validation split at this threshold, and the TPR that came with it. */
  achievedFpr: number;
  tpr: number;
}

export interface DetectionResult {
  model: ModelInfo;
  text?: string;
  sentences: SentenceResult[];
  spans: Span[];
  /** Document score: the highest sentence score (probability that some sentence was paraphrased). */
  score: number;
  /** Fraction of sentences labelled `paraphrased`. */
  paraphrasedFraction: number;
  /** The score threshold used for the labels. */
  threshold: number;
  coverage: Coverage;
  /** false when the document is too short to judge (under 2 sentences or 30 words). */
  reliable: boolean;
}

export interface ScoreOptions {
  /** Overrides the model's default threshold (fitted for 1% FPR) for the labels. */
  threshold?: number;
}

/** One input to `scoreMany`: raw text to segment, or sentences already split (evaluation must not re-split). */
export type DocumentInput = { text: string } | { sentences: string[] };

export type ProgressCallback = (progress: { status: string; file?: string; progress?: number }) => void;

export interface LoadOptions {
  /** `small`, `base`, `ptd-small`, `ptd-base`, a local model directory, or a hub id (only with `allowRemote`). */
  model: string;
  device?: Device;
  dtype?: Dtype;
  /** Permit downloading a hub model. Off by default: ptd runs offline. */
  allowRemote?: boolean;
  onProgress?: ProgressCallback;
}

export interface Detector {
  readonly info: ModelInfo;
  readonly thresholds: Threshold[];
  /** The threshold used when a call gives none (the one fitted for 1% FPR). */
  readonly defaultThreshold: number;
  /** Longest sequence, in tokens, the model reads at once. */
  readonly maxTokens: number;
  score(text: string, options?: ScoreOptions): Promise<DetectionResult>;
  /** Scores sentences as given; offsets are into `sentences.join(' ')`. */
  scoreSentences(sentences: string[], options?: ScoreOptions): Promise<DetectionResult>;
  /** Scores many documents, batched by length; results are in input order. */
  scoreMany(inputs: DocumentInput[], options?: ScoreOptions): Promise<DetectionResult[]>;
  dispose(): Promise<void>;
}
