import { defineConfig } from 'vitest/config';

// Vitest lives here; the extension build adds its own entries (see extension/).
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Model-backed tests load onnxruntime; two workers match the two cores of the target machines.
    pool: 'forks',
    maxWorkers: 2,
  },
});
