// The `ptd` program: builds the root and registers one subcommand per file.
// A new command = one file exporting `register(program)` + one line in `commands` below.
import { Command, CommanderError } from 'commander';
import { reportError } from './errors.ts';

type Register = (program: Command) => void;

const commands: Array<() => Promise<{ register: Register }>> = [
  // score, dataset, eval, serve, worker, jobs: each face registers its own commands here.
  () => import('./commands/score.ts'),
  () => import('./commands/dataset.ts'),
  () => import('./commands/eval.ts'),
  () => import('./commands/calibrate.ts'),
  () => import('./commands/train.ts'),
  () => import('./commands/promote.ts'),
  () => import('./commands/serve.ts'),
  () => import('./commands/worker.ts'),
  () => import('./commands/jobs.ts'),
];

export async function buildProgram(): Promise<Command> {
  const program = new Command('ptd')
    .description('Paraphrased text span detection: find the sentences an LLM paraphrased or polished.')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  for (const load of commands) (await load()).register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const program = await buildProgram();
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (or help/version output).
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
      return 2;
    }
    return reportError(err);
  }
}
