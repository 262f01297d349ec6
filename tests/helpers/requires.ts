// A suite that needs something outside Node (a browser, Redis, PyTorch) runs where it is installed. Where it is
// missing, the suite is skipped with the reason printed, except under CI=true: there a missing dependency is an
// installation error (.ci/run installs everything), so the suite fails instead of passing by skipping.
import { describe, it } from 'vitest';

export function describeIfAvailable(name: string, available: boolean, missing: string, body: () => void): void {
  if (available) {
    describe(name, body);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      it(`needs ${missing}`, () => {
        throw new Error(`${missing} is missing; CI must install it (.ci/run)`);
      });
    });
    return;
  }
  process.stderr.write(`skipping "${name}": ${missing} is missing\n`);
  describe.skip(name, body);
}
