// A suite that needs something outside Node (a browser, Redis, PyTorch, the shipped weights) runs where it is
// installed. Where it is missing, the suite is skipped with the reason printed, except under CI=true: there a missing
// dependency is an installation error (.ci/run installs everything), so the suite fails instead of passing by skipping.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';

const inCi = () => process.env.CI === 'true';

function skipping(what: string, why: string): void {
  process.stderr.write(`skipping ${what}: ${why}\n`);
}

export function describeIfAvailable(name: string, available: boolean, missing: string, body: () => void): void {
  if (available) {
    describe(name, body);
    return;
  }
  if (inCi()) {
    describe(name, () => {
      it(`needs ${missing}`, () => {
        throw new Error(`${missing} is missing; CI must install it (.ci/run)`);
      });
    });
    return;
  }
  skipping(`"${name}"`, `${missing} is missing`);
  describe.skip(name, body);
}

/** One test of a suite that needs something the rest of the suite does not (same rules as describeIfAvailable). */
export function itIfAvailable(name: string, available: boolean, missing: string, fn: () => Promise<void>, timeoutMs?: number): void {
  if (available) {
    it(name, fn, timeoutMs);
    return;
  }
  if (inCi()) {
    it(name, () => {
      throw new Error(`${missing} is missing; CI must install it (.ci/run)`);
    });
    return;
  }
  skipping(`"${name}"`, `${missing} is missing`);
  it.skip(name, fn);
}

/**
 * A slow suite a developer may leave out of a quick local run by setting `variable=1`. Left out, it says so; under
 * CI=true the variable is refused (the suite fails), so CI never passes without it.
 */
export function describeUnlessLeftOut(name: string, variable: string, why: string, body: () => void): void {
  if (process.env[variable] !== '1') {
    describe(name, body);
    return;
  }
  if (inCi()) {
    describe(name, () => {
      it(`is not left out under CI`, () => {
        throw new Error(`${variable}=1 leaves "${name}" out (${why}); CI runs every suite: unset ${variable}`);
      });
    });
    return;
  }
  skipping(`"${name}"`, `${variable}=1 (${why})`);
  describe.skip(name, body);
}

/** Whether `command` is an executable file in one of PATH's directories (what spawn would run). */
export function onPath(command: string, PATH = process.env.PATH ?? ''): boolean {
  return PATH.split(path.delimiter)
    .filter(Boolean)
    .some((dir) => {
      try {
        accessSync(path.join(dir, command), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}
