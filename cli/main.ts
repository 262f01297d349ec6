// Entry point of the `ptd` command (see bin/ptd.js); the program itself is in program.ts so tests can import it.
import { main } from './program.ts';

process.exitCode = await main(process.argv);
