// A model card (MODEL_CARD.md) from what `ptd train` measured: the model's config, its evaluations (ptd eval's
// JSON with bootstrap intervals), the held-out-family table and the dataset's stats. Plain functions over those
// records; every number in the card comes from one of them, and the card names the commands that made them.
import type { EvalResult, Metrics } from './evaluate.ts';

export interface CrossFamilyRow {
  sentences: number;
  positives: number;
  auroc: number;
  tpr_at_1fpr: number;
  tpr_at_5fpr: number;
  constructions: Record<string, { auroc: number | null; sentences: number; positives: number }>;
}

export interface CrossFamily {
  size: string;
  steps: number | null;
  families: Record<string, CrossFamilyRow>;
  mean_auroc: number;
  mean_tpr_at_1fpr: number;
}

/** False positives on a set of human documents at the shipped threshold. */
export interface HumanFpr {
  name: string;
  documents: number;
  sentences: number;
  flagged: number;
  fpr: number;
  /** Wilson 95% interval of the FPR. */
  ci: [number, number];
}

/** Wilson score interval (95%) of a proportion k / n. */
export function wilson(k: number, n: number, z = 1.96): [number, number] {
  if (n === 0) return [0, 1];
  const p = k / n;
  const d = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / d;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export interface CardInput {
  /** config.json of the model directory. */
  config: { ptd: Record<string, unknown> & { name: string; version: string } };
  /** Evaluations by split name (test, validation, generated test, ...), each `ptd eval --by ... --json`. */
  evals: Record<string, EvalResult>;
  crossfamily?: CrossFamily;
  /** False positives on human writing users ask about (pre-LLM prose, non-native writers). */
  fairness?: HumanFpr[];
  /** Commands that reproduce the model and these numbers, in order. */
  commands: string[];
  /** Sizes of the files a face loads, in bytes, by path inside the model directory. */
  files: Record<string, number>;
  /** Free text (what was tried, what is known to fail), in Markdown. */
  notes?: string;
}

const pct = (x: number | null | undefined, digits = 1) => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(digits)}%`);
const num = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? '—' : x.toFixed(digits));

function interval(m: Metrics, key: 'auroc' | 'tpr_at_1fpr' | 'tpr_at_5fpr' | 'pearson_lexical' | 'pearson_syntactic', asPct = false): string {
  const v = m[key];
  const ci = m.ci?.[key];
  const f = (x: number) => (asPct ? (100 * x).toFixed(1) : x.toFixed(3));
  if (v === null) return '—';
  const unit = asPct ? '%' : '';
  return ci ? `${f(v)}${unit} [${f(ci[0])}, ${f(ci[1])}]` : `${f(v)}${unit}`;
}

/** Groups of one field (`construction=…`) as table rows. */
function groupRows(result: EvalResult, field: string, withThreshold: boolean): string[] {
  const rows: string[] = [];
  for (const [key, m] of Object.entries(result.groups)) {
    if (!key.startsWith(`${field}=`)) continue;
    const name = key.slice(field.length + 1);
    const cells = [name, String(m.sentences), String(m.positives), interval(m, 'auroc'), interval(m, 'tpr_at_1fpr', true)];
    if (withThreshold) cells.push(m.positives ? pct(m.recall) : '—', pct(m.fpr, 2));
    rows.push(`| ${cells.join(' | ')} |`);
  }
  return rows;
}

function groupTable(result: EvalResult, field: string, title: string): string {
  const rows = groupRows(result, field, true);
  if (!rows.length) return '';
  return [
    `### ${title}`,
    '',
    `| ${field} | sentences | paraphrased | AUROC [95% CI] | TPR@1%FPR [95% CI] | recall at the shipped threshold | FPR at the shipped threshold |`,
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
  ].join('\n');
}

function overall(name: string, m: EvalResult): string {
  return `| ${name} | ${m.documents} | ${m.sentences} | ${m.positives} | ${interval(m, 'auroc')} | ${interval(m, 'tpr_at_1fpr', true)} | ${interval(m, 'tpr_at_5fpr', true)} | ${pct(m.recall)} | ${pct(m.fpr, 2)} | ${interval(m, 'pearson_lexical')} |`;
}

function crossFamilyTable(cf: CrossFamily): string {
  const rows = Object.entries(cf.families).map(([fam, r]) => {
    const cons = Object.entries(r.constructions)
      .filter(([, v]) => v.auroc !== null)
      .map(([c, v]) => `${c} ${num(v.auroc)}`)
      .join(', ');
    return `| ${fam} | ${r.sentences} | ${r.positives} | ${num(r.auroc)} | ${pct(r.tpr_at_1fpr)} | ${pct(r.tpr_at_5fpr)} | ${cons} |`;
  });
  return [
    '| held-out family | sentences | paraphrased | AUROC | TPR@1%FPR | TPR@5%FPR | AUROC by construction |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...rows,
    `| **mean** | | | **${num(cf.mean_auroc)}** | ${pct(cf.mean_tpr_at_1fpr)} | | |`,
  ].join('\n');
}

interface ThresholdEntry {
  target_fpr: number;
  threshold: number;
  achieved_fpr: number;
  tpr: number;
  bound_by?: string;
}

export function renderCard(input: CardInput): string {
  const p = input.config.ptd;
  const calibration = (p.calibration ?? {}) as { temperature?: number; fitted_on?: string };
  const thresholds = (p.thresholds ?? []) as ThresholdEntry[];
  const training = (p.training ?? {}) as Record<string, unknown>;
  const arch = (p.architecture ?? {}) as Record<string, unknown>;
  const out: string[] = [];
  out.push(`# ${p.name} ${p.version}`, '');
  out.push(
    'Paraphrased text span detection: a calibrated probability per sentence that it belongs to a span an LLM paraphrased or polished, and the predicted degree of change (1 − BLEU-4) if it was rewritten. Trained from scratch on the ptd corpus (no pretrained weights).',
    '',
  );
  out.push('## Model', '');
  out.push(`- Architecture: ${String(arch.net ?? 'PtdNet')}; ${JSON.stringify(Object.fromEntries(Object.entries(arch).filter(([k]) => k !== 'net')))}.`);
  const members = Number(arch.members ?? 1);
  if (members > 1) {
    const seed = (training.settings as { seed?: number } | undefined)?.seed;
    const seeds = seed === undefined ? 'from different seeds' : `with seeds ${seed}–${seed + members - 1}`;
    out.push(`- An ensemble: ${members} such nets trained alike ${seeds}, their logits averaged inside the one ONNX graph.`);
  }
  if (training.parameters) out.push(`- Parameters: ${Number(training.parameters).toLocaleString('en')}.`);
  // the fp32 file stays in the run (docs/models.md, weights policy): say so rather than list it as shipped
  for (const [file, bytes] of Object.entries(input.files)) {
    const note = file === 'onnx/model.onnx' ? ' (fp32; kept in the training run, not shipped: `ptd promote --fp32` adds it)' : '';
    out.push(`- \`${file}\`: ${(bytes / 1e6).toFixed(1)} MB${note}.`);
  }
  out.push(
    `- Calibration: probability = sigmoid(logit / T), T = ${num(calibration.temperature, 4)} fitted on ${calibration.fitted_on ?? '—'} through the runtime (\`ptd calibrate\`).`,
  );
  for (const t of thresholds) {
    out.push(
      `- Threshold for ${pct(t.target_fpr, 0)} FPR: ${num(t.threshold, 4)} (validation: FPR ${pct(t.achieved_fpr, 2)}, TPR ${pct(t.tpr)}; ${t.bound_by && t.bound_by !== 'pooled' ? `raised so that source "${t.bound_by}" stays within 1.5× the target` : 'the pooled fit; every source with ≥300 human sentences stays within 1.5× the target'}).`,
    );
  }
  out.push('');
  out.push('## Training', '');
  const settings = training.settings as Record<string, unknown> | undefined;
  if (settings) out.push(`- Settings: \`${JSON.stringify(settings)}\`.`);
  for (const k of ['records', 'generated_records', 'corpus_sha256', 'git_commit', 'device', 'torch'] as const) {
    if (training[k] !== undefined && training[k] !== null) out.push(`- ${k.replace(/_/g, ' ')}: ${String(training[k])}.`);
  }
  out.push('');
  out.push('## Metrics', '');
  out.push(
    'Sentence level, as PASTED reports them, through the runtime (q8, windows merged): AUROC, TPR at FPR < 1% and < 5%, and at the shipped threshold (1% target) the recall and the FPR a reader sees. [low, high]: 95% bootstrap intervals over documents.',
    '',
    '| split | documents | sentences | paraphrased | AUROC | TPR@1%FPR | TPR@5%FPR | recall at threshold | FPR at threshold | Pearson r (lexical) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const [name, m] of Object.entries(input.evals)) out.push(overall(name, m));
  out.push('');
  const test = input.evals.test;
  if (test) {
    out.push(groupTable(test, 'construction', 'Test split by construction'));
    out.push(groupTable(test, 'source', 'Test split by source (human sentences of each source give its FPR)'));
    out.push(groupTable(test, 'paraphraser', 'Test split by paraphraser'));
  }
  if (input.fairness?.length) {
    out.push('## False positives on human writing', '');
    out.push(
      'Untouched human documents scored at the shipped threshold (1% target): the share of their sentences flagged, with Wilson 95% intervals.',
      '',
      '| human documents | documents | sentences | flagged | FPR [95% CI] |',
      '|---|---:|---:|---:|---:|',
      ...input.fairness.map((f) => `| ${f.name} | ${f.documents} | ${f.sentences} | ${f.flagged} | ${pct(f.fpr, 2)} [${pct(f.ci[0], 2)}, ${pct(f.ci[1], 2)}] |`),
      '',
    );
  }
  if (input.crossfamily) {
    out.push('## Documents and paraphrasers never seen', '');
    out.push(
      `Each family of sources (its documents, domains and paraphrasers) held out of training in turn (${input.crossfamily.steps ?? 'the size\'s'} steps), then its validation records scored through the runtime: the honest estimate for text from elsewhere.`,
      '',
      crossFamilyTable(input.crossfamily),
      '',
    );
  }
  if (input.notes) out.push(input.notes.trim(), '');
  out.push('## Reproduce', '', '```sh', ...input.commands, '```', '');
  return out.join('\n');
}
