import { beforeEach, describe, expect, it, vi } from 'vitest';

// The browser's runtime.sendMessage, scripted per test: each call takes the next answer (an Error rejects).
let answers: unknown[] = [];
let calls = 0;
vi.mock('webextension-polyfill', () => ({
  default: {
    runtime: {
      sendMessage: async () => {
        calls++;
        const next = answers.length > 1 ? answers.shift() : answers[0];
        if (next instanceof Error) throw next;
        return next;
      },
    },
  },
}));
const { sendToBackground } = await import('../../extension/shared/send.ts');

const stopping = () => new Error('Could not establish connection. Receiving end does not exist.');

describe('sendToBackground', () => {
  beforeEach(() => {
    calls = 0;
  });

  it('sends again when the background page was stopping (Firefox event page), and returns the answer', async () => {
    answers = [stopping(), stopping(), { ok: true, n: 1 }];
    await expect(sendToBackground({ type: 'host-state' }, 4, 1)).resolves.toEqual({ ok: true, n: 1 });
    expect(calls).toBe(3);
  });

  it("gives up after the last attempt, with the browser's error", async () => {
    answers = [stopping()];
    await expect(sendToBackground({ type: 'host-state' }, 3, 1)).rejects.toThrow(/Receiving end does not exist/);
    expect(calls).toBe(3);
  });

  it('does not repeat a message that failed for another reason', async () => {
    answers = [new Error('Extension context invalidated.')];
    await expect(sendToBackground({ type: 'scan-tab' }, 4, 1)).rejects.toThrow(/context invalidated/);
    expect(calls).toBe(1);
  });
});
