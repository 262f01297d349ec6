import { defineConfig } from 'vitest/config';

// Vitest lives here. `vite build --mode extension` builds the browser extension (configs in extension/build/; the
// same build as `npm run build:extension`, which also takes options). The extension code is imported only in that mode.
export default defineConfig(async ({ mode }) => {
  if (mode === 'extension') {
    const { extensionModeConfig } = await import('./extension/build/build.ts');
    return extensionModeConfig();
  }
  return {
    test: {
      include: ['tests/**/*.test.ts'],
      testTimeout: 60_000,
      hookTimeout: 120_000,
      // Model-backed tests load onnxruntime; two workers match the two cores of the target machines.
      pool: 'forks',
      maxWorkers: 2,
      // CI sets CI=true, which turns picocolors' colours on in every `ptd` child process; tests read plain text
      // (a test that wants colours sets NO_COLOR='' and FORCE_COLOR itself).
      env: { NO_COLOR: '1' },
    },
  };
});
