/// <reference types="chrome" />
// Chrome: the service worker routes; the model lives in an offscreen document (a service worker cannot import()
// the ONNX Runtime glue, transformers.js #787). The document is created on demand and re-created when Chrome has
// torn it down (treated as recoverable, NOTES §3).
import browser from 'webextension-polyfill';
import { fail, type HostRequest, type HostState, type Reply } from '../shared/messages.ts';
import { startBackground, type ModelPort } from './core.ts';

const OFFSCREEN_PATH = 'offscreen.html';
let creating: Promise<void> | null = null;

async function hasOffscreen(): Promise<boolean> {
  const url = chrome.runtime.getURL(OFFSCREEN_PATH);
  const contexts = await chrome.runtime.getContexts({
    contextTypes: [chrome.runtime.ContextType.OFFSCREEN_DOCUMENT],
    documentUrls: [url],
  });
  return contexts.length > 0;
}

export async function ensureOffscreen(): Promise<void> {
  if (await hasOffscreen()) return;
  creating ??= chrome.offscreen
    .createDocument({
      url: OFFSCREEN_PATH,
      reasons: [chrome.offscreen.Reason.WORKERS],
      justification: 'Runs the ptd model (ONNX Runtime, WASM/WebGPU) once for all tabs.',
    })
    .catch((err: unknown) => {
      // Two callers racing: "Only a single offscreen document may be created" means it exists now.
      if (!String(err).includes('single offscreen')) throw err;
    })
    .finally(() => {
      creating = null;
    });
  await creating;
}

const port: ModelPort = {
  async request<T extends object>(msg: HostRequest): Promise<Reply<T>> {
    for (let attempt = 0; attempt < 2; attempt++) {
      await ensureOffscreen();
      try {
        const reply = (await browser.runtime.sendMessage(msg)) as Reply<T> | undefined;
        if (reply) return reply;
      } catch (err) {
        // The document went away between the check and the message: create it again and retry once.
        if (attempt === 1) return fail(err);
      }
    }
    return fail('the model host did not answer');
  },
};

let lastState: HostState = { status: 'idle' };
browser.runtime.onMessage.addListener((msg: unknown) => {
  const m = msg as { target?: string; type?: string; state?: HostState };
  if (m?.target === 'broadcast' && m.type === 'host-state' && m.state) lastState = m.state;
  return undefined;
});

startBackground(port, async () => {
  if (!(await hasOffscreen())) return { ...lastState, status: lastState.status === 'ready' ? 'idle' : lastState.status };
  const reply = await port.request<{ state: HostState }>({ target: 'offscreen', type: 'host-state' });
  return reply.ok ? reply.state : lastState;
});
