// Builds the playground's result view: the document with each sentence painted by score, using the
// colours and tooltip words of ui/palette.ts (the same as the extension), and the summary list.
import { colourFor, describeSentence, legend, type ColourScheme } from '../../ui/palette.ts';
import { skipReasonText } from '../../model/readable.ts';
import type { DetectionResult, SkipReason } from '../../model/types.ts';

/** Paints `text` into `target`: sentences become focusable spans, the text between them stays plain. */
export function renderHighlighted(target: HTMLElement, text: string, result: DetectionResult, scheme: ColourScheme): void {
  const doc = target.ownerDocument;
  target.replaceChildren();
  let at = 0;
  for (const s of result.sentences) {
    if (s.start < at || s.end > text.length) continue; // offsets that do not fit the text shown
    if (s.start > at) target.append(doc.createTextNode(text.slice(at, s.start)));
    const el = doc.createElement('span');
    const words = describeSentence(s, result.threshold, result.model);
    el.textContent = text.slice(s.start, s.end);
    el.dataset.index = String(s.index);
    el.dataset.tooltip = words.tooltip;
    el.title = words.tooltip;
    el.tabIndex = 0;
    el.setAttribute('aria-label', `${words.label}: ${el.textContent}`);
    if (s.score === null) {
      // not read by the model: no colour (not a score), a dotted grey line and the reason in the tooltip
      el.className = 's skipped';
      el.dataset.skipped = s.skipped;
    } else {
      const colour = colourFor(s.score, result.threshold, s.degree, scheme);
      el.className = `s ${colour.band}`;
      el.dataset.score = String(s.score);
      el.dataset.band = colour.band;
      el.style.backgroundColor = colour.background;
      el.style.borderBottomColor = colour.underline;
    }
    target.append(el);
    at = s.end;
  }
  if (at < text.length) target.append(doc.createTextNode(text.slice(at)));
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function summaryRows(result: DetectionResult): Array<[string, string]> {
  const flagged = result.sentences.filter((s) => s.label === 'paraphrased').length;
  const m = result.model;
  const skipped = new Map<SkipReason, number>();
  for (const s of result.sentences) if (s.skipped) skipped.set(s.skipped, (skipped.get(s.skipped) ?? 0) + 1);
  return [
    ['Document score', `${result.score.toFixed(3)} (highest sentence score)`],
    ['Paraphrased sentences', `${flagged} of ${result.coverage.scored} scored (${pct(result.paraphrasedFraction)})`],
    ['Paraphrased spans', String(result.spans.length)],
    ['Threshold', result.threshold.toFixed(3)],
    ['Reliable', result.reliable ? 'yes' : `no — ${skipReasonText(result.reason ?? 'too-short')}`],
    ['Coverage', `${result.coverage.scored}/${result.coverage.sentences} sentences scored, ${result.coverage.truncated} truncated`],
    ...[...skipped].map(([why, n]): [string, string] => ['Not checked', `${n} sentence${n === 1 ? '' : 's'}: ${skipReasonText(why)}`]),
    ['Model', `${m.name} ${m.version} on ${m.device} (${m.dtype})`],
  ];
}

export function renderSummary(target: HTMLElement, result: DetectionResult): void {
  const doc = target.ownerDocument;
  target.replaceChildren();
  for (const [k, v] of summaryRows(result)) {
    const dt = doc.createElement('dt');
    dt.textContent = k;
    const dd = doc.createElement('dd');
    dd.textContent = v;
    target.append(dt, dd);
  }
}

export function renderLegend(target: HTMLElement, threshold: number, scheme: ColourScheme): void {
  const doc = target.ownerDocument;
  target.replaceChildren(doc.createTextNode(`score ${threshold.toFixed(2)}`));
  for (const colour of legend(threshold, scheme, 5)) {
    const i = doc.createElement('i');
    i.style.backgroundColor = colour;
    target.append(i);
  }
  target.append(doc.createTextNode('1.00'));
}
