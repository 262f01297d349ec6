// Messages from the extension's pages and content scripts to the background. Firefox stops an idle MV3 background
// page after 30 s and starts it again on the next message; a message that arrives while it is stopping fails with
// "Receiving end does not exist". Such a message is sent again (a few times, briefly apart) instead of failing.
import browser from 'webextension-polyfill';

const NO_RECEIVER = /receiving end does not exist|could not establish connection/i;

export async function sendToBackground(msg: object, attempts = 4, delayMs = 150): Promise<unknown> {
  for (let k = 1; ; k++) {
    try {
      return await browser.runtime.sendMessage(msg);
    } catch (err) {
      if (k >= attempts || !NO_RECEIVER.test(err instanceof Error ? err.message : String(err))) throw err;
      await new Promise((resolve) => setTimeout(resolve, delayMs * k));
    }
  }
}
