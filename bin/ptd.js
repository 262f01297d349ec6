#!/usr/bin/env node
// The `ptd` command. Sources are TypeScript; tsx compiles them on the fly so a fresh clone needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
