// The manifests (MV3) for Chrome and Firefox. Minimal permissions: activeTab (the page you click ptd on),
// scripting (inject the content script there), contextMenus, storage, offscreen (Chrome: the model host);
// no host permissions by default — auto-scan sites and the API server are optional, asked for one origin at a time.
import type { Target } from './vite.ts';

export interface ManifestOptions {
  target: Target;
  version: string;
  /** Extra host permissions (tests only: lets the e2e test scan its local page without a user gesture). */
  testHosts?: string[];
}

const icons = () => Object.fromEntries([16, 32, 48, 128].map((s) => [String(s), `icons/ptd-${s}.png`]));

/** Firefox add-on id (gecko); tests fix the add-on's internal UUID through it. */
export const GECKO_ID = 'ptd@ptd.invalid';

export const CSP = "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'";

export function manifest(o: ManifestOptions): Record<string, unknown> {
  const permissions = ['activeTab', 'scripting', 'contextMenus', 'storage'];
  if (o.target === 'chrome') permissions.push('offscreen');
  const m: Record<string, unknown> = {
    manifest_version: 3,
    name: 'ptd — paraphrased text detector',
    short_name: 'ptd',
    version: o.version,
    description: 'Highlights sentences of a page that were likely paraphrased by an LLM. Runs on your device.',
    permissions,
    optional_host_permissions: ['http://*/*', 'https://*/*'],
    icons: icons(),
    action: { default_title: 'Scan this page with ptd', default_popup: 'popup.html', default_icon: icons() },
    options_ui: { page: 'options.html', open_in_tab: true },
    commands: {
      'scan-page': { suggested_key: { default: 'Alt+Shift+P' }, description: 'Scan this page' },
      'check-selection': { suggested_key: { default: 'Alt+Shift+S' }, description: 'Check the selected text' },
    },
    content_security_policy: { extension_pages: CSP },
    minimum_chrome_version: '116',
  };
  if (o.testHosts?.length) m.host_permissions = o.testHosts;
  if (o.target === 'chrome') {
    m.background = { service_worker: 'background.js', type: 'module' };
    // Cross-origin isolation gives the offscreen document SharedArrayBuffer, so ONNX Runtime can use threads.
    m.cross_origin_embedder_policy = { value: 'require-corp' };
    m.cross_origin_opener_policy = { value: 'same-origin' };
  } else {
    delete m.minimum_chrome_version;
    // Firefox has no offscreen documents: the background page hosts the model (it has a DOM and can run WASM).
    m.background = { page: 'background.html' };
    // Firefox's built-in data consent (required by addons.mozilla.org since November 2025): nothing leaves the
    // device unless the user turns on API mode, which sends page text (websiteContent) to the server they chose;
    // options.ts asks for it then. Test builds, which grant their host permissions up front, grant it too.
    const dataCollection = o.testHosts?.length ? { required: ['websiteContent'] } : { required: ['none'], optional: ['websiteContent'] };
    m.browser_specific_settings = {
      gecko: { id: GECKO_ID, strict_min_version: '140.0', data_collection_permissions: dataCollection },
      // Firefox for Android reads data_collection_permissions from 142 on (desktop from 140).
      gecko_android: { strict_min_version: '142.0' },
    };
  }
  return m;
}
