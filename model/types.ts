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

/**
 * Why a sentence was left unscored: `language` (not English: another script, or a paragraph without common English
 * words), `unknown-words` (mostly [UNK] tokens for the model's vocabulary), `no-letters` (digits, symbols, emoji).
 */
export type SkipReason = 'language' | 'unknown-words' | 'no-letters';

/** Why a document's score is not reliable: too little text was scored, or most of it could not be read. */
export type UnreliableReason = 'too-short' | SkipReason;

/** Words of a flagged sentence that drove its score: removing them lowers the score by `drop`. */
export interface Evidence {
  /** Character offsets in the document, like the sentence's. */
  start: number;
  end: number;
  text: string;
  /** How much the sentence's score falls when these words are removed (read in a window cropped around it). */
  drop: number;
}

export interface ScoredSentence extends Segment {
  /** Calibrated probability that the sentence belongs to an LLM-paraphrased span. */
  score: number;
  /** Predicted lexical change (PASTED's 1 − BLEU-4 signal) of the sentence if it was rewritten, 0..1, when the model
   * has that output: it grades flagged sentences (light polish to heavy rewrite); whether it was rewritten is `score`. */
  degree?: number;
  label: SentenceLabel;
  /** The sentence was longer than one model window and only its beginning was read. */
  truncated?: boolean;
  /** Flagged sentences, when evidence was asked for: the words that drove the score most, strongest first. */
  evidence?: Evidence[];
  skipped?: undefined;
}

/** A sentence the model cannot read: no score (never a guess), and why. It is not shown to the model as context. */
export interface SkippedSentence extends Segment {
  score: null;
  label: 'skipped';
  skipped: SkipReason;
  degree?: undefined;
  truncated?: undefined;
  evidence?: undefined;
}

export type SentenceResult = ScoredSentence | SkippedSentence;

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
  /** Sentences that received a score. */
  scored: number;
  /** Sentences left unscored because the model cannot read them (`sentences = scored + skipped`). */
  skipped: number;
  /** Sentences whose text did not fit one window and was cut before scoring. */
  truncated: number;
}

export interface DeviceFallback {
  device: ResolvedDevice;
  reason: string;
}

export interface ModelInfo {
  /** `ptd-small`, a directory name or a hub id. */
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
  /** Document score: the highest sentence score (probability that some sentence was paraphrased); 0 when none was scored. */
  score: number;
  /** Fraction of the scored sentences labelled `paraphrased`. */
  paraphrasedFraction: number;
  /** The score threshold used for the labels. */
  threshold: number;
  coverage: Coverage;
  /** false when the scored part is too short to judge (under 2 sentences or 30 words) or most of the text was skipped. */
  reliable: boolean;
  /** Why the document is not reliable (absent when it is). */
  reason?: UnreliableReason;
}

export interface ScoreOptions {
  /** Overrides the model's default threshold (fitted for 1% FPR) for the labels. */
  threshold?: number;
  /** Find the words that drove each flagged sentence's score (`evidence`; occlusion, a few extra model runs each). */
  evidence?: boolean;
}

export interface ProgressiveOptions extends ScoreOptions {
  /** Characters of the text to score first (what is on screen): the windows that read them run first. */
  priority?: { start: number; end: number };
}

/** One step of `scoreProgressive`. */
export interface ProgressUpdate {
  /** Sentences whose result is final, new since the previous update (skipped ones come with the first update). */
  sentences: SentenceResult[];
  /** Windows read so far, of `windows`. */
  windowsDone: number;
  windows: number;
  /** The last update: the whole result, exactly as `score` returns it (evidence included when asked for). */
  result?: DetectionResult;
}

/** One input to `scoreMany`: raw text to segment, or sentences already split (evaluation must not re-split). */
export type DocumentInput = { text: string } | { sentences: string[] };

export type ProgressCallback = (progress: { status: string; file?: string; progress?: number }) => void;

export interface LoadOptions {
  /** `small`, `ptd-small`, a local model directory, or a hub id (only with `allowRemote`). */
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

/** A detector running in this thread (loadDetector): it can also hand out results as they come. */
export interface ProgressiveDetector extends Detector {
  /**
   * Scores one text window by window (those reading `priority` first) and yields each sentence as soon as its score
   * is final; the last update carries the whole result, identical to `score(text, options)`.
   */
  scoreProgressive(text: string, options?: ProgressiveOptions): AsyncGenerator<ProgressUpdate, void, undefined>;
}
