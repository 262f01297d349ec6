// Firefox: no offscreen API; the background page (an event page with a DOM) hosts the model itself.
import browser from 'webextension-polyfill';
import { fail, ok, type HostRequest, type Reply } from '../shared/messages.ts';
import { cancelScore, getDetector, hostState, nextUpdate, onHostState, startScore } from '../offscreen/host.ts';
import { startBackground, type ModelPort } from './core.ts';

onHostState((state) => {
  browser.runtime.sendMessage({ target: 'broadcast', type: 'host-state', state }).catch(() => undefined);
});

const port: ModelPort = {
  async request<T extends object>(msg: HostRequest): Promise<Reply<T>> {
    try {
      switch (msg.type) {
        case 'host-start':
          return ok({ ...(await startScore(msg, msg.device)), mode: 'local' as const }) as unknown as Reply<T>;
        case 'host-next':
          return ok(await nextUpdate(msg.job)) as unknown as Reply<T>;
        case 'host-cancel':
          cancelScore(msg.job);
          return ok() as unknown as Reply<T>;
        case 'host-load':
          await getDetector(msg.device);
          return ok({ state: hostState() }) as unknown as Reply<T>;
        case 'host-state':
          return ok({ state: hostState() }) as unknown as Reply<T>;
      }
    } catch (err) {
      return fail(err);
    }
  },
};

startBackground(port, async () => hostState());
