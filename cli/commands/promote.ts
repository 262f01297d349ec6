// `ptd promote`: a trained, calibrated run becomes a shipped model. Copies the files a face loads (config,
// tokenizer, the int8 ONNX file; the fp32 file only with --fp32) and the model card into model/weights/NAME,
// writing each file's sha256 into config.json (ptd.files) so a face can check what it loaded. The weights
// policy (docs/models.md): one commit per released version, tagged; nothing a normal run does not read.
import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CliError, UsageError } from '../errors.ts';
import { writeTextAtomic } from '../../dataset/records.ts';

export interface PromoteOptions {
  run: string;
  to: string;
  version?: string;
  fp32: boolean;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** The files of a shipped model directory, besides config.json and the card. */
export function shippedFiles(fp32: boolean): string[] {
  return ['tokenizer.json', 'tokenizer_config.json', 'onnx/model_quantized.onnx', ...(fp32 ? ['onnx/model.onnx'] : [])];
}

export async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

export async function runPromote(o: PromoteOptions): Promise<void> {
  const model = join(o.run, 'model');
  const configFile = join(model, 'config.json');
  if (!existsSync(configFile)) throw new CliError(`${o.run}: no model/config.json (train it first: ptd train)`);
  const config = JSON.parse(await readFile(configFile, 'utf8')) as { ptd: Record<string, unknown> };
  const calibration = config.ptd.calibration as { fitted_on?: string | null } | undefined;
  if (!calibration?.fitted_on) throw new CliError(`${o.run}: the model is not calibrated (ptd calibrate, or rerun ptd train)`);
  const card = join(o.run, 'MODEL_CARD.md');
  if (!existsSync(card)) throw new CliError(`${o.run}: no MODEL_CARD.md (rerun ptd train to write it)`);
  const files = shippedFiles(o.fp32);
  for (const f of files) if (!existsSync(join(model, f))) throw new CliError(`${join(model, f)} is missing`);
  // build beside the target, then swap it in: a failure leaves the shipped model as it was
  const tmp = join(dirname(o.to), `.${basename(o.to)}.promote`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(join(tmp, 'onnx'), { recursive: true });
  const sums: Record<string, string> = {};
  for (const f of files) {
    await copyFile(join(model, f), join(tmp, f));
    sums[f] = await sha256File(join(tmp, f));
  }
  if (o.version) config.ptd.version = o.version;
  config.ptd.files = sums;
  await writeTextAtomic(join(tmp, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  let text = await readFile(card, 'utf8');
  if (o.version) text = text.replace(/^# (\S+) \S+/, `# $1 ${o.version}`);
  await writeTextAtomic(join(tmp, 'MODEL_CARD.md'), text);
  const old = join(dirname(o.to), `.${basename(o.to)}.old`);
  await rm(old, { recursive: true, force: true });
  if (existsSync(o.to)) await rename(o.to, old);
  await rename(tmp, o.to);
  await rm(old, { recursive: true, force: true });
  log(`promoted ${o.run} to ${o.to} (${files.join(', ')}; sha256 in config.json ptd.files)`);
}

export function register(program: Command): void {
  program
    .command('promote')
    .description('Copy a trained, calibrated run into model/weights (the files a face loads, sha256 in config.json).')
    .requiredOption('--run <dir>', 'the run directory (ptd train --run)')
    .requiredOption('--to <dir>', 'the shipped model directory, e.g. model/weights/ptd-small')
    .option('--model-version <v>', 'the released version, written into config.json and the card')
    .option('--fp32', 'also ship the fp32 ONNX file (only --dtype fp32 reads it)')
    .action(async (opts: { run: string; to: string; modelVersion?: string; fp32?: boolean }) => {
      const version = opts.modelVersion;
      if (version !== undefined && !/^\d+\.\d+\.\d+$/.test(version)) throw new UsageError(`--model-version must look like 1.2.3, got "${version}"`);
      await runPromote({ run: opts.run, to: opts.to, version, fp32: Boolean(opts.fp32) });
    });
}
