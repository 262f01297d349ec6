// Chrome's offscreen document (reason WORKERS): hosts the model for every tab. The service worker routes messages
// here by `target: 'offscreen'`; progress is broadcast to the popup.
import browser from 'webextension-polyfill';
import { fail, isMessageFor, ok, type HostRequest, type Reply } from '../shared/messages.ts';
import { cancelScore, getDetector, hostState, nextUpdate, onHostState, startScore } from './host.ts';

onHostState((state) => {
  browser.runtime.sendMessage({ target: 'broadcast', type: 'host-state', state }).catch(() => {
    // nobody listening (popup closed): fine
  });
});

async function handle(msg: HostRequest): Promise<Reply<object>> {
  switch (msg.type) {
    case 'host-start':
      return ok({ ...(await startScore(msg, msg.device)), mode: 'local' as const });
    case 'host-next':
      return ok(await nextUpdate(msg.job));
    case 'host-cancel':
      cancelScore(msg.job);
      return ok();
    case 'host-state':
      return ok({ state: hostState() });
    case 'host-load':
      await getDetector(msg.device);
      return ok({ state: hostState() });
    default:
      console.warn('[ptd] offscreen: unknown message', msg);
      return fail(`unknown message type ${(msg as { type: string }).type}`);
  }
}

browser.runtime.onMessage.addListener((msg: unknown) => {
  if (!isMessageFor(msg, 'offscreen')) return undefined;
  return handle(msg).catch((err: unknown) => fail(err));
});
