// The `ptd` section of a model's config.json (the model file contract, see README "Model files"):
// which logit channels mean what, the calibration temperature, the longest input and the thresholds fitted
// for target false-positive rates. Validated once at load time; the rest of the runtime trusts it.
import { z } from 'zod';
import type { Threshold } from './types.ts';

const ThresholdSchema = z.object({
  target_fpr: z.number().gt(0).lt(1),
  threshold: z.number().min(0).max(1),
  achieved_fpr: z.number().min(0).max(1),
  tpr: z.number().min(0).max(1),
});

const PtdSectionSchema = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  format: z.literal(1),
  outputs: z.object({
    paraphrase: z.number().int().min(0),
    degree: z.number().int().min(0).optional(),
  }),
  calibration: z.object({ temperature: z.number().positive() }).default({ temperature: 1 }),
  max_tokens: z.number().int().min(8).optional(),
  thresholds: z.array(ThresholdSchema).min(1),
  default_target_fpr: z.number().gt(0).lt(1).default(0.01),
  training: z.unknown().optional(),
});

const ModelConfigSchema = z.looseObject({
  num_labels: z.number().int().positive().optional(),
  id2label: z.record(z.string(), z.string()).optional(),
  max_position_embeddings: z.number().int().positive().optional(),
  ptd: PtdSectionSchema,
});

export interface PtdConfig {
  name: string;
  version: string;
  /** Logit channel of the paraphrase score, and of the degree of change when the model has one. */
  outputs: { paraphrase: number; degree?: number };
  /** Applied to the paraphrase channel: probability = sigmoid(logit / temperature). */
  temperature: number;
  /** Longest sequence the model reads at once, [CLS] included. */
  maxTokens: number;
  /** Sorted by target FPR, ascending. */
  thresholds: Threshold[];
  defaultTargetFpr: number;
  /** The threshold fitted for `defaultTargetFpr` (or the closest target the model has). */
  defaultThreshold: number;
  training?: unknown;
}

export class ModelConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelConfigError';
  }
}

/** Parses and checks a model's config.json (as an object). `source` names the model in error messages. */
export function parsePtdConfig(config: unknown, source = 'the model'): PtdConfig {
  if (config && typeof config === 'object' && !('ptd' in config)) {
    throw new ModelConfigError(
      `${source} is not a ptd model: its config.json has no "ptd" section (outputs, calibration, thresholds).`,
    );
  }
  const parsed = ModelConfigSchema.safeParse(config);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ModelConfigError(`${source} has an invalid config.json: ${issues}`);
  }
  const c = parsed.data;
  const p = c.ptd;
  const channels = c.num_labels ?? (c.id2label ? Object.keys(c.id2label).length : 2);
  for (const [name, channel] of Object.entries(p.outputs)) {
    if (channel !== undefined && channel >= channels) {
      throw new ModelConfigError(`${source}: ptd.outputs.${name} = ${channel}, but the model has ${channels} outputs.`);
    }
  }
  const positions = c.max_position_embeddings ?? 512;
  const maxTokens = Math.min(p.max_tokens ?? positions, positions);
  const thresholds: Threshold[] = p.thresholds
    .map((t) => ({ targetFpr: t.target_fpr, threshold: t.threshold, achievedFpr: t.achieved_fpr, tpr: t.tpr }))
    .sort((a, b) => a.targetFpr - b.targetFpr);
  return {
    name: p.name,
    version: p.version,
    outputs: p.outputs,
    temperature: p.calibration.temperature,
    maxTokens,
    thresholds,
    defaultTargetFpr: p.default_target_fpr,
    defaultThreshold: thresholdFor(thresholds, p.default_target_fpr).threshold,
    training: p.training,
  };
}

/** The threshold fitted for `targetFpr`, or the one with the closest target. */
export function thresholdFor(thresholds: readonly Threshold[], targetFpr: number): Threshold {
  let best = thresholds[0];
  if (!best) throw new ModelConfigError('the model has no thresholds');
  for (const t of thresholds) {
    if (Math.abs(t.targetFpr - targetFpr) < Math.abs(best.targetFpr - targetFpr)) best = t;
  }
  return best;
}
