// Typed settings with defaults, kept in storage.local (never synced: an API key stays on this device).
import browser from 'webextension-polyfill';
import { isColourScheme, type ColourScheme } from '../../ui/palette.ts';
import type { Device } from '../../model/types.ts';

export interface Settings {
  /** `local`: the bundled model scores text on this device. `api`: page text is sent to `apiUrl`. */
  mode: 'local' | 'api';
  apiUrl: string;
  apiKey: string;
  /** Origins (`https://example.org`) scanned automatically when a page loads. */
  autoScanSites: string[];
  scheme: ColourScheme;
  /** Score from which a sentence is flagged; null = the model's default (fitted for 1% false positives). */
  threshold: number | null;
  device: Device;
  /** Paint borderline sentences faintly. */
  showBorderline: boolean;
  /** Find the words that drove each flagged sentence's score (shown in the hover card; a little extra scan time). */
  evidence: boolean;
}

export const DEFAULT_SETTINGS: Settings = {
  mode: 'local',
  apiUrl: '',
  apiKey: '',
  autoScanSites: [],
  scheme: 'standard',
  threshold: null,
  device: 'auto',
  showBorderline: true,
  evidence: true,
};

/** Keeps only known keys with valid values; anything else falls back to the default. */
export function normaliseSettings(raw: Record<string, unknown>): Settings {
  const s: Settings = { ...DEFAULT_SETTINGS };
  if (raw.mode === 'local' || raw.mode === 'api') s.mode = raw.mode;
  if (typeof raw.apiUrl === 'string') s.apiUrl = raw.apiUrl.trim();
  if (typeof raw.apiKey === 'string') s.apiKey = raw.apiKey.trim();
  if (Array.isArray(raw.autoScanSites)) {
    s.autoScanSites = [...new Set(raw.autoScanSites.map((x) => normaliseOrigin(String(x))).filter((x): x is string => !!x))];
  }
  if (isColourScheme(raw.scheme)) s.scheme = raw.scheme;
  if (raw.threshold === null || (typeof raw.threshold === 'number' && raw.threshold > 0 && raw.threshold < 1)) {
    s.threshold = raw.threshold as number | null;
  }
  if (raw.device === 'auto' || raw.device === 'wasm' || raw.device === 'webgpu') s.device = raw.device;
  if (typeof raw.showBorderline === 'boolean') s.showBorderline = raw.showBorderline;
  if (typeof raw.evidence === 'boolean') s.evidence = raw.evidence;
  return s;
}

/** `example.org`, `https://example.org/page` → `https://example.org`; null when not an http(s) origin. */
export function normaliseOrigin(input: string): string | null {
  const t = input.trim();
  if (!t) return null;
  try {
    const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(t) ? t : `https://${t}`);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return u.origin;
  } catch {
    return null;
  }
}

/**
 * Match pattern for an origin (`https://example.org/*`), as permissions and content-script registration want.
 * Without the port: Firefox's match patterns have none (a granted `http://localhost:8080/*` never matches), and a
 * pattern without one matches every port of the host in both browsers.
 */
export function originPattern(origin: string): string {
  const u = new URL(origin);
  return `${u.protocol}//${u.hostname}/*`;
}

declare const __PTD_TARGET__: 'chrome' | 'firefox';

/**
 * What API mode needs: the API server's origin, and in Firefox the consent to send website content off the device
 * (the manifest's optional `data_collection_permissions`). Asked for in the options page, checked before each send.
 */
export function apiPermissions(origin: string, target: 'chrome' | 'firefox' = __PTD_TARGET__): browser.Permissions.Permissions {
  const wanted: browser.Permissions.Permissions & { data_collection?: string[] } = { origins: [originPattern(origin)] };
  if (target === 'firefox') wanted.data_collection = ['websiteContent'];
  return wanted;
}

export async function loadSettings(): Promise<Settings> {
  const raw = await browser.storage.local.get(Object.keys(DEFAULT_SETTINGS));
  return normaliseSettings(raw);
}

export async function saveSettings(patch: Partial<Settings>): Promise<Settings> {
  const next = normaliseSettings({ ...(await loadSettings()), ...patch });
  await browser.storage.local.set(next as unknown as Record<string, unknown>);
  return next;
}
