// A self-contained HTML report of an evaluation: summary, ROC curve and per-class score histograms as
// inline SVG, and the per-group table. No scripts, no external assets.
import { notScoredNote, type EvalResult, type IntervalMetric, type Metrics } from './evaluate.ts';
import type { Comparison } from './compare.ts';
import type { ChangeProfile } from './change.ts';
import type { RocCurve } from './metrics.ts';

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fmt(x: number | null, digits = 3): string {
  return x === null ? '—' : x.toFixed(digits);
}

function pct(x: number | null): string {
  return x === null ? '—' : `${(100 * x).toFixed(1)}%`;
}

/** Bare numbers for intervals and differences: 3 decimals, or percentage points to 1 decimal. */
const num = (v: number) => v.toFixed(3);
const pts = (v: number) => (100 * v).toFixed(1);

const W = 360;
const H = 300;
const PAD = 48;

/** At most `max` points, always keeping the first and last. */
function thin(curve: RocCurve, max = 600): [number, number][] {
  const n = curve.fpr.length;
  const step = Math.max(1, Math.ceil(n / max));
  const pts: [number, number][] = [];
  for (let k = 0; k < n; k += step) pts.push([curve.fpr[k]!, curve.tpr[k]!]);
  if ((n - 1) % step !== 0) pts.push([curve.fpr[n - 1]!, curve.tpr[n - 1]!]);
  return pts;
}

/** Axes with ticks at fractions (0..1) of each axis, labelled as given. */
function axes(xLabel: string, yLabel: string, xTicks: [number, string][], yTicks: [number, string][]): string {
  const x = (f: number) => PAD + f * (W - PAD - 10);
  const y = (f: number) => H - PAD - f * (H - PAD - 10);
  let s = `<line x1="${PAD}" y1="${H - PAD}" x2="${W - 10}" y2="${H - PAD}" stroke="#333"/>`;
  s += `<line x1="${PAD}" y1="10" x2="${PAD}" y2="${H - PAD}" stroke="#333"/>`;
  for (const [f, label] of xTicks)
    s += `<text x="${x(f).toFixed(1)}" y="${H - PAD + 14}" font-size="10" text-anchor="middle">${esc(label)}</text>`;
  for (const [f, label] of yTicks)
    s += `<text x="${PAD - 4}" y="${(y(f) + 3).toFixed(1)}" font-size="10" text-anchor="end">${esc(label)}</text>`;
  s += `<text x="${(PAD + W) / 2}" y="${H - 6}" font-size="11" text-anchor="middle">${esc(xLabel)}</text>`;
  s += `<text x="12" y="${H / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${H / 2})">${esc(yLabel)}</text>`;
  return s;
}

const FRACTIONS = [0, 0.25, 0.5, 0.75, 1];

const CURVE_COLOURS = ['#1f6feb', '#cf222e', '#2da44e', '#8250df', '#bf8700', '#57606a'];

/** ROC curves of one or more detectors on the same data, with each one's AUROC in the legend. */
export function rocSvg(curves: { label: string; curve: RocCurve | null; auc: number | null }[]): string {
  const drawn = curves.filter((c) => c.curve !== null);
  if (drawn.length === 0) return '<p>No ROC curve: the data holds a single class.</p>';
  const x = (v: number) => (PAD + v * (W - PAD - 10)).toFixed(1);
  const y = (v: number) => (H - PAD - v * (H - PAD - 10)).toFixed(1);
  const ticks = FRACTIONS.map((f): [number, string] => [f, String(f)]);
  let paths = '';
  let legend = '';
  drawn.forEach((c, k) => {
    const colour = CURVE_COLOURS[k % CURVE_COLOURS.length]!;
    const d = thin(c.curve!)
      .map(([f, t], i) => `${i ? 'L' : 'M'}${x(f)},${y(t)}`)
      .join(' ');
    paths += `<path d="${d}" fill="none" stroke="${colour}" stroke-width="2" stroke-opacity="0.85"/>`;
    const text = drawn.length === 1 ? `AUROC ${fmt(c.auc)}` : `${c.label.length > 28 ? `…${c.label.slice(-27)}` : c.label} ${fmt(c.auc)}`;
    const ly = H - PAD - 8 - (drawn.length - 1 - k) * 15;
    legend += `<text x="${W - 14}" y="${ly}" font-size="11" text-anchor="end" fill="${drawn.length === 1 ? '#1f2328' : colour}">${esc(text)}</text>`;
  });
  return (
    `<svg width="${W}" height="${H}" role="img" aria-label="ROC curve">` +
    axes('false positive rate', 'true positive rate', ticks, ticks) +
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#bbb" stroke-dasharray="4 3"/>` +
    `<line x1="${x(0.01)}" y1="${y(0)}" x2="${x(0.01)}" y2="${y(1)}" stroke="#e0a000" stroke-dasharray="2 2"/>` +
    paths +
    legend +
    `</svg>`
  );
}

export function histogramSvg(scores: number[], truth: number[], bins = 20): string {
  if (scores.length === 0) return '<p>No sentences.</p>';
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of scores) {
    lo = Math.min(lo, s);
    hi = Math.max(hi, s);
  }
  if (lo >= 0 && hi <= 1) {
    lo = 0;
    hi = 1;
  }
  if (hi === lo) hi = lo + 1;
  const counts = [new Array<number>(bins).fill(0), new Array<number>(bins).fill(0)];
  const totals = [0, 0];
  scores.forEach((s, i) => {
    const c = truth[i]! > 0 ? 1 : 0;
    const b = Math.min(bins - 1, Math.floor(((s - lo) / (hi - lo)) * bins));
    counts[c]![b]!++;
    totals[c]!++;
  });
  // Each class is normalised to its own total, so the shapes compare whatever the class balance.
  const shares = counts.map((row, c) => row.map((n) => (totals[c] ? n / totals[c]! : 0)));
  const yMax = Math.max(0.01, ...shares[0]!, ...shares[1]!);
  const bw = (W - PAD - 10) / bins;
  const colours = ['#2da44e', '#cf222e'];
  let bars = '';
  for (let c = 0; c < 2; c++) {
    for (let b = 0; b < bins; b++) {
      const h = (shares[c]![b]! / yMax) * (H - PAD - 10);
      if (h <= 0) continue;
      bars += `<rect x="${(PAD + b * bw + 1).toFixed(1)}" y="${(H - PAD - h).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${colours[c]}" fill-opacity="0.45"/>`;
    }
  }
  const xTicks = FRACTIONS.map((f): [number, string] => [f, String(+(lo + f * (hi - lo)).toFixed(2))]);
  const yTicks = [0, 0.5, 1].map((f): [number, string] => [f, `${(100 * f * yMax).toFixed(0)}%`]);
  return (
    `<svg width="${W}" height="${H}" role="img" aria-label="score histograms">` +
    axes('score', 'share of class', xTicks, yTicks) +
    bars +
    `<rect x="${W - 150}" y="14" width="10" height="10" fill="${colours[0]}" fill-opacity="0.6"/><text x="${W - 136}" y="23" font-size="11">human (${totals[0]})</text>` +
    `<rect x="${W - 150}" y="30" width="10" height="10" fill="${colours[1]}" fill-opacity="0.6"/><text x="${W - 136}" y="39" font-size="11">paraphrased (${totals[1]})</text>` +
    `</svg>`
  );
}

/**
 * Mean score of the paraphrased sentences per bin of lexical and syntactic change (a line per signal, a dot per
 * non-empty bin), against the mean score of the human sentences (dashed).
 */
export function changeSvg(profiles: ChangeProfile[], humanMean: number | null): string {
  if (profiles.length === 0) return '<p>No change signal in the data (<code>lexical</code>, <code>syntactic</code>).</p>';
  const means = profiles.flatMap((p) => p.bins.map((b) => b.mean).filter((m): m is number => m !== null));
  if (humanMean !== null) means.push(humanMean);
  let lo = Math.min(...means);
  let hi = Math.max(...means);
  if (lo >= 0 && hi <= 1) [lo, hi] = [0, 1];
  if (hi === lo) hi = lo + 1;
  const x = (v: number) => PAD + v * (W - PAD - 10);
  const y = (v: number) => H - PAD - ((v - lo) / (hi - lo)) * (H - PAD - 10);
  const colours: Record<string, string> = { lexical: CURVE_COLOURS[0]!, syntactic: CURVE_COLOURS[4]! };
  let marks = '';
  profiles.forEach((p, k) => {
    const pts = p.bins.filter((b) => b.mean !== null).map((b) => [x((b.from + b.to) / 2), y(b.mean!), b.sentences] as const);
    const c = colours[p.signal]!;
    marks += `<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(' ')}"/>`;
    for (const [a, b, n] of pts) marks += `<circle cx="${a.toFixed(1)}" cy="${b.toFixed(1)}" r="3" fill="${c}"><title>${n} sentences</title></circle>`;
    marks += `<line x1="${W - 160}" y1="${19 + 16 * k}" x2="${W - 146}" y2="${19 + 16 * k}" stroke="${c}" stroke-width="2"/><text x="${W - 140}" y="${23 + 16 * k}" font-size="11">${esc(p.signal)} change</text>`;
  });
  if (humanMean !== null) {
    const k = profiles.length;
    marks += `<line x1="${PAD}" y1="${y(humanMean).toFixed(1)}" x2="${W - 10}" y2="${y(humanMean).toFixed(1)}" stroke="#2da44e" stroke-dasharray="5 4"/>`;
    marks += `<line x1="${W - 160}" y1="${19 + 16 * k}" x2="${W - 146}" y2="${19 + 16 * k}" stroke="#2da44e" stroke-dasharray="4 3"/><text x="${W - 140}" y="${23 + 16 * k}" font-size="11">human sentences</text>`;
  }
  const xTicks = FRACTIONS.map((f): [number, string] => [f, String(f)]);
  const yTicks = FRACTIONS.map((f): [number, string] => [f, String(+(lo + f * (hi - lo)).toFixed(2))]);
  return (
    `<svg width="${W}" height="${H}" role="img" aria-label="mean score by amount of change">` +
    axes('change (0 = as written, 1 = all new)', 'mean score', xTicks, yTicks) +
    marks +
    `</svg>`
  );
}

type Column = [keyof Metrics, string, (x: number | null) => string];

const COLUMNS: Column[] = [
  ['documents', 'documents', (x) => String(x)],
  ['sentences', 'sentences', (x) => String(x)],
  ['positives', 'paraphrased', (x) => String(x)],
  ['auroc', 'AUROC', (x) => fmt(x)],
  ['tpr_at_1fpr', 'TPR@1%FPR', pct],
  ['tpr_at_5fpr', 'TPR@5%FPR', pct],
  ['pearson_lexical', 'r lexical', (x) => fmt(x)],
  ['pearson_syntactic', 'r syntactic', (x) => fmt(x)],
  ['precision', 'precision', (x) => fmt(x)],
  ['recall', 'recall', (x) => fmt(x)],
  ['f1', 'F1', (x) => fmt(x)],
  ['fpr', 'FPR', pct],
];

export function metricRows(result: EvalResult): [string, Metrics][] {
  return [['all', result], ...Object.entries(result.groups)];
}

const INTERVAL_FORMAT: Partial<Record<keyof Metrics, (x: number) => string>> = {
  auroc: num,
  tpr_at_1fpr: pts,
  tpr_at_5fpr: pts,
  pearson_lexical: num,
  pearson_syntactic: num,
};

/** A metric's cell: its value, and its confidence interval when the evaluation has them (`0.786 [0.779, 0.793]`). */
function cell(m: Metrics, [key, , format]: Column): string {
  const value = format(m[key] as number | null);
  const f = INTERVAL_FORMAT[key];
  const interval = m.ci?.[key as IntervalMetric];
  return f && interval && m[key] !== null ? `${value} [${f(interval[0])}, ${f(interval[1])}]` : value;
}

/** Header and rows of the metric columns, one row per (name, metrics). */
function metricTable(first: string, rows: [string, Metrics][]): [string[], string[][]] {
  return [[first, ...COLUMNS.map(([, h]) => h)], rows.map(([name, m]) => [name, ...COLUMNS.map((c) => cell(m, c))])];
}

/** What the intervals are, in one sentence (empty without them). */
function intervalNote(result: EvalResult): string {
  const b = result.bootstrap;
  if (!b) return '';
  return `[low, high]: ${Math.round(100 * b.level)}% percentile intervals from ${b.replicates} bootstrap replicates over documents (seed ${b.seed}; each group resampled on its own).`;
}

const STYLE = `<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1f2328;max-width:1400px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:1rem 0}th,td{padding:.25rem .5rem;white-space:nowrap;border-bottom:1px solid #d0d7de;text-align:right}
th[scope=row],thead th:first-child{text-align:left}.figs{display:flex;gap:2rem;flex-wrap:wrap}figure{margin:0}
figcaption{font-weight:600;margin-bottom:.3rem}code{background:#f6f8fa;padding:0 .2rem}
</style>`;

export function renderReport(
  result: EvalResult,
  sentences: { scores: number[]; truth: number[]; roc: RocCurve | null; change: ChangeProfile[] },
  meta: { data: string; scorer: string },
): string {
  let humanSum = 0;
  let humans = 0;
  sentences.truth.forEach((t, i) => {
    if (t === 0) {
      humanSum += sentences.scores[i]!;
      humans++;
    }
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ptd evaluation — ${esc(meta.data)}</title>
${STYLE}</head><body>
<h1>ptd evaluation</h1>
<p>Data <code>${esc(meta.data)}</code>, scores from <code>${esc(meta.scorer)}</code>.
Sentence level: ${result.sentences} sentences in ${result.documents} documents, ${result.positives} paraphrased.
Threshold for precision/recall/F1: ${result.threshold === null ? '—' : result.threshold.toPrecision(6)} (${esc(result.threshold_source)}).
TPR@1%FPR is PASTED's <code>tpr[fpr&lt;0.01][-1]</code>.${result.not_scored ? ` ${esc(notScoredNote(result.not_scored, result.sentences))}.` : ''}</p>
<div class="figs">
<figure><figcaption>ROC curve (dotted line: FPR = 1%)</figcaption>${rocSvg([{ label: meta.scorer, curve: sentences.roc, auc: result.auroc }])}</figure>
<figure><figcaption>Score histograms per class</figcaption>${histogramSvg(sentences.scores, sentences.truth)}</figure>
<figure><figcaption>Mean score by amount of change</figcaption>${changeSvg(sentences.change, humans ? humanSum / humans : null)}</figure>
</div>
<h2>Results</h2>
${htmlTable(...metricTable('group', metricRows(result)))}
<p>— marks a metric that cannot be computed (for example a group with a single class).${result.bootstrap ? ` ${esc(intervalNote(result))}` : ''}</p>
</body></html>
`;
}

/** The terminal table: one row per group, fixed-width columns. */
export function renderTable(result: EvalResult): string {
  const thr = result.threshold === null ? '—' : result.threshold.toPrecision(4);
  const notes = [`threshold ${thr} (${result.threshold_source})`];
  if (result.not_scored) notes.push(notScoredNote(result.not_scored, result.sentences));
  if (result.bootstrap) notes.push(intervalNote(result));
  return [...textTable(...metricTable('group', metricRows(result))), '', ...notes].join('\n');
}

/** One detector's evaluation in a comparison. */
export interface ScorerResult {
  name: string;
  result: EvalResult;
}

/** A difference with its sign (− as a minus sign; ± when it rounds to zero). */
function signed(x: number | null, f: (v: number) => string): string {
  if (x === null) return '—';
  const digits = f(Math.abs(x));
  if (Number(digits) === 0) return `±${digits}`;
  return `${x > 0 ? '+' : '−'}${digits}`;
}

const withCi = (x: number | null, ci: [number, number] | null | undefined, f: (v: number) => string) =>
  ci && x !== null ? `${signed(x, f)} [${signed(ci[0], f)}, ${signed(ci[1], f)}]` : signed(x, f);

/** Rows of the comparison: each detector's difference from the reference, with paired intervals. */
function deltaRows(comparisons: Comparison[]): string[][] {
  return comparisons.map((c) => [
    `${c.scorer} − ${c.versus}`,
    withCi(c.delta.auroc, c.ci?.auroc, num),
    withCi(c.delta.tpr_at_1fpr, c.ci?.tpr_at_1fpr, pts),
    withCi(c.delta.tpr_at_5fpr, c.ci?.tpr_at_5fpr, pts),
    c.auroc_wins === undefined || c.auroc_wins === null ? '—' : `${(100 * c.auroc_wins).toFixed(1)}%`,
  ]);
}

const DELTA_HEADER = ['difference', 'ΔAUROC', 'ΔTPR@1%FPR (points)', 'ΔTPR@5%FPR (points)', 'AUROC higher in'];

/** AUROC per group (rows) and detector (columns), then each detector's paired ΔAUROC from the reference. */
function groupRows(scorers: ScorerResult[], comparisons: Comparison[]): string[][] {
  const groups = Object.keys(scorers[0]!.result.groups);
  const auroc = COLUMNS.find(([k]) => k === 'auroc')!;
  return groups.map((g) => [
    g,
    ...scorers.map((s) => cell(s.result.groups[g]!, auroc)),
    ...comparisons.map((c) => {
      const d = c.groups?.[g];
      return d ? withCi(d.delta.auroc, d.ci?.auroc, num) : '—';
    }),
  ]);
}

const groupHeader = (first: string, scorers: ScorerResult[], comparisons: Comparison[]) => [
  first,
  ...scorers.map((s) => s.name),
  ...comparisons.map((c) => `ΔAUROC ${c.scorer}`),
];

function textTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

function htmlTable(header: string[], rows: string[][]): string {
  return `<div class="scroll"><table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>
${rows.map(([name, ...cells]) => `<tr><th scope="row">${esc(name!)}</th>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n')}
</tbody></table></div>`;
}

/** The terminal view of a comparison: each detector overall, the differences, and AUROC per group. */
export function renderComparisonTable(scorers: ScorerResult[], comparisons: Comparison[]): string {
  const out = textTable(...metricTable('detector', scorers.map((s) => [s.name, s.result])));
  out.push('', ...textTable(DELTA_HEADER, deltaRows(comparisons)));
  if (Object.keys(scorers[0]!.result.groups).length) out.push('', ...textTable(groupHeader('AUROC by group', scorers, comparisons), groupRows(scorers, comparisons)));
  out.push('', ...scorers.map((s) => `threshold of ${s.name}: ${s.result.threshold === null ? '—' : s.result.threshold.toPrecision(4)} (${s.result.threshold_source})`));
  for (const s of scorers) if (s.result.not_scored) out.push(`${s.name}: ${notScoredNote(s.result.not_scored, s.result.sentences)}`);
  const note = intervalNote(scorers[0]!.result);
  if (note) out.push(note, 'Differences: paired intervals (the same resampled documents for both detectors); "AUROC higher in" is the share of replicates.');
  return out.join('\n');
}

/** The HTML report of a comparison: overlaid ROC curves, each detector overall, the differences, AUROC per group. */
export function renderComparisonReport(
  scorers: (ScorerResult & { roc: RocCurve | null })[],
  comparisons: Comparison[],
  meta: { data: string },
): string {
  const first = scorers[0]!.result;
  const overall = htmlTable(...metricTable('detector', scorers.map((s) => [s.name, s.result])));
  const groups = Object.keys(first.groups).length
    ? `<h2>AUROC by group</h2>${htmlTable(groupHeader('group', scorers, comparisons), groupRows(scorers, comparisons))}`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ptd comparison — ${esc(meta.data)}</title>
${STYLE}</head><body>
<h1>ptd evaluation: ${scorers.length} detectors compared</h1>
<p>Data <code>${esc(meta.data)}</code>: ${first.sentences} sentences in ${first.documents} documents, ${first.positives} paraphrased.
Sentence level; TPR@1%FPR is PASTED's <code>tpr[fpr&lt;0.01][-1]</code>. The first detector is the reference.</p>
<div class="figs"><figure><figcaption>ROC curves (dotted line: FPR = 1%)</figcaption>${rocSvg(scorers.map((s) => ({ label: s.name, curve: s.roc, auc: s.result.auroc })))}</figure></div>
<h2>Each detector</h2>
${overall}
<h2>Differences from the reference</h2>
${htmlTable(DELTA_HEADER, deltaRows(comparisons))}
${groups}
<p>${scorers.map((s) => `Threshold of ${esc(s.name)}: ${s.result.threshold === null ? '—' : s.result.threshold.toPrecision(6)} (${esc(s.result.threshold_source)}).`).join(' ')}
${first.bootstrap ? `${esc(intervalNote(first))} Differences use paired intervals: the same resampled documents for both detectors.` : ''}</p>
</body></html>
`;
}
