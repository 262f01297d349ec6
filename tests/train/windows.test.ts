// Python evaluation and calibration (model/train/data.py) must read a long document in the same windows, with
// the same merge weights, as the runtime (model/window.ts), or the fitted thresholds would not hold in ptd.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { contextWeight, planWindows } from '../../model/window.ts';

const PY = '/usr/bin/python3';
const hasPython = spawnSync(PY, ['-c', 'import json'], { stdio: 'ignore' }).status === 0;

function lengthsFor(seed: number): number[] {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648);
  const n = 1 + (next() % 60);
  // mostly ordinary sentences, some very long ones (longer than a window) to exercise the edge cases
  return Array.from({ length: n }, () => (next() % 10 === 0 ? 100 + (next() % 400) : 1 + (next() % 45)));
}

describe.skipIf(!hasPython)('window planning: Python port == model/window.ts', () => {
  it('plans the same windows and merge weights for 300 random documents and three window sizes', () => {
    const cases = [];
    for (let seed = 1; seed <= 300; seed++) {
      for (const maxTokens of [64, 128, 256]) cases.push({ lengths: lengthsFor(seed), maxTokens });
    }
    const script = [
      'import json, sys',
      "sys.path.insert(0, 'model/train')",
      'import data',
      'out = []',
      'for c in json.load(sys.stdin):',
      "    L, m = c['lengths'], c['maxTokens']",
      '    ws = data.plan_windows(L, m)',
      '    out.append([[list(w), [data.context_weight(L, w, i, m) for i in range(w[0], w[1])]] for w in ws])',
      'print(json.dumps(out))',
    ].join('\n');
    const py = spawnSync(PY, ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' });
    expect(py.stderr).toBe('');
    const fromPython = JSON.parse(py.stdout) as [number[], number[]][][];
    const fromTs = cases.map(({ lengths, maxTokens }) =>
      planWindows(lengths, maxTokens).map((w) => [
        [w.first, w.end, w.coreFirst, w.coreEnd],
        Array.from({ length: w.end - w.first }, (_, k) => contextWeight(lengths, w, w.first + k, maxTokens)),
      ]),
    );
    expect(fromPython).toEqual(fromTs);
    // and the cases are not trivial: many documents need several windows
    expect(fromTs.filter((ws) => ws.length > 1).length).toBeGreaterThan(300);
  });
});
