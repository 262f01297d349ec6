// Worker-thread entry for api/extract/host.ts: the worker compiles TypeScript with tsx, as bin/ptd.js does.
import { register } from 'tsx/esm/api';

register();
await import('./host.ts');
