// Colours and words for showing sentence scores, shared by every face that paints results (the browser
// extension, the API playground, reports). Pure functions over plain numbers: no DOM, no node: imports.
//
// How a sentence is shown:
// - intensity (opacity) grows with the score: sentences far below the threshold are not painted at all,
//   borderline ones faintly, flagged ones strongly;
// - hue follows the degree of change (PASTED's 1 − BLEU-4 signal) when the model gives one: a light
//   rewording and a heavy rewrite look different;
// - the words always carry the number (users distrust a bare colour, NOTES §4).

import { skipReasonText } from '../model/readable.ts';
import { labelFor } from '../model/score.ts';
import type { Evidence, SkipReason } from '../model/types.ts';

/** `standard`: yellow → red; `colorblind`: Okabe–Ito yellow → blue (safe for protan/deutan/tritan); `mono`: grey. */
export type ColourScheme = 'standard' | 'colorblind' | 'mono';
export const COLOUR_SCHEMES: readonly ColourScheme[] = ['standard', 'colorblind', 'mono'];
export const SCHEME_NAMES: Record<ColourScheme, string> = {
  standard: 'Standard (yellow to red)',
  colorblind: 'Colour-blind safe (yellow to blue)',
  mono: 'Monochrome (grey)',
};

export type RGB = readonly [number, number, number];

/** Hue endpoints per scheme: [light change, heavy change]. Opacity carries the score. */
const STOPS: Record<ColourScheme, readonly [RGB, RGB]> = {
  standard: [
    [255, 214, 0], // amber-yellow: light rewording
    [229, 57, 53], // red: heavy rewrite
  ],
  colorblind: [
    [240, 228, 66], // Okabe–Ito yellow
    [0, 114, 178], // Okabe–Ito blue
  ],
  mono: [
    [160, 160, 160],
    [64, 64, 64],
  ],
};

/** Degree used when a model has no degree output: the middle of the ramp. */
const DEFAULT_DEGREE = 0.5;
/** A sentence whose score reaches this fraction of the threshold is "borderline" and painted faintly. */
export const BORDERLINE_RATIO = 0.8;

export type ScoreBand = 'flagged' | 'borderline' | 'clear';
export type DegreeBand = 'light' | 'moderate' | 'heavy';

export interface SentenceColour {
  /** Base colour for the degree, without opacity. */
  rgb: RGB;
  /** 0 (not painted) .. 0.55 (strongest). */
  alpha: number;
  /** CSS background colour, e.g. `rgba(229, 57, 53, 0.45)`; `transparent` when not painted. */
  background: string;
  /** CSS colour for an underline/border, fully opaque for flagged sentences. */
  underline: string;
  band: ScoreBand;
}

const clamp01 = (x: number): number => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

function mix(a: RGB, b: RGB, t: number): RGB {
  const u = clamp01(t);
  return [0, 1, 2].map((i) => Math.round(a[i]! + (b[i]! - a[i]!) * u)) as unknown as RGB;
}

const css = (c: RGB, alpha: number): string =>
  alpha <= 0 ? 'transparent' : `rgba(${c[0]}, ${c[1]}, ${c[2]}, ${Number(alpha.toFixed(3))})`;

export function isColourScheme(x: unknown): x is ColourScheme {
  return typeof x === 'string' && (COLOUR_SCHEMES as readonly string[]).includes(x);
}

/** `flagged` at or above the threshold, `borderline` from BORDERLINE_RATIO × threshold, else `clear`. */
export function scoreBand(score: number, threshold: number): ScoreBand {
  if (labelFor(score, threshold) === 'paraphrased') return 'flagged';
  if (score >= threshold * BORDERLINE_RATIO) return 'borderline';
  return 'clear';
}

export function degreeBand(degree: number): DegreeBand {
  const d = clamp01(degree);
  if (d < 1 / 3) return 'light';
  if (d < 2 / 3) return 'moderate';
  return 'heavy';
}

/**
 * The colour of one sentence. Opacity: 0 when clear; 0.12..0.22 when borderline; 0.3..0.55 when flagged,
 * growing with how far the score lies between the threshold and 1. Hue: the scheme's ramp at `degree`.
 */
export function colourFor(
  score: number,
  threshold: number,
  degree: number | undefined,
  scheme: ColourScheme = 'standard',
): SentenceColour {
  const s = clamp01(score);
  const th = clamp01(threshold);
  const band = scoreBand(s, th);
  const [lo, hi] = STOPS[isColourScheme(scheme) ? scheme : 'standard'];
  const rgb = mix(lo, hi, degree === undefined || !Number.isFinite(degree) ? DEFAULT_DEGREE : degree);
  let alpha = 0;
  if (band === 'flagged') {
    const over = th >= 1 ? 1 : (s - th) / (1 - th);
    alpha = 0.3 + 0.25 * clamp01(over);
  } else if (band === 'borderline') {
    const lowEdge = th * BORDERLINE_RATIO;
    const within = th - lowEdge <= 0 ? 1 : (s - lowEdge) / (th - lowEdge);
    alpha = 0.12 + 0.1 * clamp01(within);
  }
  return {
    rgb,
    alpha,
    background: css(rgb, alpha),
    underline: band === 'clear' ? 'transparent' : css(rgb, band === 'flagged' ? 1 : 0.6),
    band,
  };
}

/** Discrete colour steps (for CSS highlight registries, which need one style per highlight name). */
export const COLOUR_STEPS = 4;

/**
 * A small, stable key for a sentence's look: band + degree step + intensity step. Painters that need a
 * fixed set of styles (the CSS Custom Highlight API) register one highlight per key.
 */
export function colourKey(score: number, threshold: number, degree: number | undefined): string {
  const band = scoreBand(clamp01(score), clamp01(threshold));
  if (band === 'clear') return 'clear';
  const d = Math.min(COLOUR_STEPS - 1, Math.floor(clamp01(degree ?? DEFAULT_DEGREE) * COLOUR_STEPS));
  if (band === 'borderline') return `borderline-${d}`;
  const th = clamp01(threshold);
  const over = th >= 1 ? 1 : (clamp01(score) - th) / (1 - th);
  const i = Math.min(COLOUR_STEPS - 1, Math.floor(clamp01(over) * COLOUR_STEPS));
  return `flagged-${d}-${i}`;
}

/** The representative colour of a key from `colourKey` (the centre of its steps). */
export function colourForKey(key: string, threshold: number, scheme: ColourScheme = 'standard'): SentenceColour | null {
  const th = clamp01(threshold);
  const parts = key.split('-');
  const centre = (i: number): number => (i + 0.5) / COLOUR_STEPS;
  if (parts[0] === 'borderline' && parts.length === 2) {
    const d = Number(parts[1]);
    if (!Number.isInteger(d)) return null;
    return colourFor(th * (BORDERLINE_RATIO + (1 - BORDERLINE_RATIO) / 2), th, centre(d), scheme);
  }
  if (parts[0] === 'flagged' && parts.length === 3) {
    const d = Number(parts[1]);
    const i = Number(parts[2]);
    if (!Number.isInteger(d) || !Number.isInteger(i)) return null;
    return colourFor(th + (1 - th) * centre(i), th, centre(d), scheme);
  }
  return null;
}

/** Every key `colourKey` can return, except `clear`. */
export function allColourKeys(): string[] {
  const keys: string[] = [];
  for (let d = 0; d < COLOUR_STEPS; d++) {
    keys.push(`borderline-${d}`);
    for (let i = 0; i < COLOUR_STEPS; i++) keys.push(`flagged-${d}-${i}`);
  }
  return keys;
}

const pct = (x: number): string => `${Math.round(clamp01(x) * 100)}%`;

/** A short label: "Likely paraphrased", "Borderline" or "Likely human". */
export function bandLabel(band: ScoreBand): string {
  switch (band) {
    case 'flagged':
      return 'Likely paraphrased';
    case 'borderline':
      return 'Borderline';
    case 'clear':
      return 'Likely human';
  }
}

export function degreeLabel(degree: number): string {
  switch (degreeBand(degree)) {
    case 'light':
      return 'light rewording';
    case 'moderate':
      return 'moderate rewording';
    case 'heavy':
      return 'heavy rewrite';
  }
}

export interface SentenceText {
  /** e.g. "Likely paraphrased · 87%". */
  label: string;
  /** Lines for a hover card / title attribute. */
  lines: string[];
  /** `lines` joined with newlines. */
  tooltip: string;
}

/** What `describeSentence` needs of a sentence (a SentenceResult, or the extension's painted record of one). */
export interface DescribedSentence {
  score: number | null;
  degree?: number;
  truncated?: boolean;
  skipped?: SkipReason;
  evidence?: readonly Pick<Evidence, 'text'>[];
}

/** The evidence in words: `Words that drove the score: “a”, “b”`. */
export function evidenceLine(evidence: readonly Pick<Evidence, 'text'>[]): string {
  return `Words that drove the score: ${evidence.map((e) => `“${e.text}”`).join(', ')}`;
}

/** Words for one sentence: label, score, degree, evidence, threshold, model; or why it was not checked. */
export function describeSentence(sentence: DescribedSentence, threshold: number, model?: { name: string; version?: string }): SentenceText {
  const modelLine = model ? [`Model ${model.name}${model.version ? ` ${model.version}` : ''}`] : [];
  if (sentence.score === null || sentence.skipped) {
    const why = skipReasonText(sentence.skipped ?? 'no-letters');
    const label = `Not checked · ${why.replace(/ — not checked$/u, '')}`;
    const lines = [label, `The model cannot read this sentence: ${why}.`, ...modelLine];
    return { label, lines, tooltip: lines.join('\n') };
  }
  const band = scoreBand(clamp01(sentence.score), clamp01(threshold));
  const label = `${bandLabel(band)} · ${pct(sentence.score)}`;
  const lines = [label, `Paraphrase score ${clamp01(sentence.score).toFixed(2)} (flagged from ${clamp01(threshold).toFixed(2)})`];
  // The degree says how much a rewritten sentence was changed, not whether it was: shown for flagged sentences only.
  if (sentence.degree !== undefined && Number.isFinite(sentence.degree) && sentence.score >= threshold) {
    lines.push(`Degree of change ${clamp01(sentence.degree).toFixed(2)}: ${degreeLabel(sentence.degree)}`);
  }
  if (sentence.evidence?.length && sentence.score >= threshold) lines.push(evidenceLine(sentence.evidence));
  if (sentence.truncated) lines.push('Only the beginning of this long sentence was read.');
  lines.push(...modelLine);
  return { label, lines, tooltip: lines.join('\n') };
}

/** A legend: `steps` colours from the threshold to 1 at a given degree (for keys and previews). */
export function legend(threshold: number, scheme: ColourScheme = 'standard', steps = 5, degree?: number): string[] {
  const th = clamp01(threshold);
  const out: string[] = [];
  for (let i = 0; i < steps; i++) {
    const s = steps === 1 ? 1 : th + ((1 - th) * i) / (steps - 1);
    out.push(colourFor(s, th, degree, scheme).background);
  }
  return out;
}
