// Options: local (default) or API mode, model device, colour scheme, auto-scan sites. Host permissions are asked
// for only when needed: the API server's origin when API mode is saved, each auto-scan site when it is added.
import browser from 'webextension-polyfill';
import { sendToBackground } from '../shared/send.ts';
import { COLOUR_SCHEMES, SCHEME_NAMES, legend, type ColourScheme } from '../../ui/palette.ts';
import { apiPermissions, loadSettings, normaliseOrigin, originPattern, saveSettings, type Settings } from '../shared/settings.ts';

const form = document.getElementById('form') as HTMLFormElement;
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
let sites: string[] = [];

function field<T extends HTMLInputElement | HTMLSelectElement>(name: string): T {
  return form.elements.namedItem(name) as T;
}

function renderLegend(scheme: ColourScheme): void {
  const box = $('legend');
  box.replaceChildren();
  for (const degree of [0, 1]) {
    for (const colour of legend(0.5, scheme, 5, degree)) {
      const span = document.createElement('span');
      span.style.background = colour;
      span.title = degree === 0 ? 'light rewording' : 'heavy rewrite';
      box.append(span);
    }
  }
}

function renderSites(): void {
  const list = $('sites');
  list.replaceChildren();
  for (const origin of sites) {
    const li = document.createElement('li');
    li.textContent = `${origin} `;
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'link';
    remove.textContent = 'remove';
    remove.addEventListener('click', () => {
      sites = sites.filter((s) => s !== origin);
      // Patterns cover a host on every port: keep the permission while API mode or another listed site uses the host.
      const pattern = originPattern(origin);
      const apiOrigin = normaliseOrigin(field<HTMLInputElement>('apiUrl').value);
      const stillUsed = [...sites, ...(apiOrigin ? [apiOrigin] : [])].some((o) => originPattern(o) === pattern);
      if (!stillUsed) void browser.permissions.remove({ origins: [pattern] }).catch(() => undefined);
      renderSites();
    });
    li.append(remove);
    list.append(li);
  }
}

function fill(s: Settings): void {
  for (const radio of form.querySelectorAll<HTMLInputElement>('input[name=mode]')) radio.checked = radio.value === s.mode;
  field<HTMLInputElement>('apiUrl').value = s.apiUrl;
  field<HTMLInputElement>('apiKey').value = s.apiKey;
  field<HTMLSelectElement>('device').value = s.device;
  const scheme = field<HTMLSelectElement>('scheme');
  scheme.replaceChildren(
    ...COLOUR_SCHEMES.map((id) => {
      const o = document.createElement('option');
      o.value = id;
      o.textContent = SCHEME_NAMES[id];
      return o;
    }),
  );
  scheme.value = s.scheme;
  field<HTMLInputElement>('showBorderline').checked = s.showBorderline;
  field<HTMLInputElement>('evidence').checked = s.evidence;
  sites = [...s.autoScanSites];
  renderSites();
  renderLegend(s.scheme);
  $('api-box').hidden = s.mode !== 'api';
}

async function main(): Promise<void> {
  fill(await loadSettings());
  form.addEventListener('change', () => {
    const mode = (form.querySelector('input[name=mode]:checked') as HTMLInputElement | null)?.value;
    $('api-box').hidden = mode !== 'api';
    renderLegend(field<HTMLSelectElement>('scheme').value as ColourScheme);
  });
  $('add-site').addEventListener('click', () => {
    const input = $<HTMLInputElement>('site');
    const origin = normaliseOrigin(input.value);
    if (!origin) {
      $('saved').textContent = 'Not a web address.';
      return;
    }
    // Asked in the click handler (a user gesture), for this one site only.
    void browser.permissions.request({ origins: [originPattern(origin)] }).then((granted) => {
      if (!granted) {
        $('saved').textContent = `Permission for ${origin} was not granted.`;
        return;
      }
      if (!sites.includes(origin)) sites.push(origin);
      input.value = '';
      renderSites();
    });
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const mode = ((form.querySelector('input[name=mode]:checked') as HTMLInputElement | null)?.value ?? 'local') as Settings['mode'];
    const apiUrl = field<HTMLInputElement>('apiUrl').value.trim();
    const apiOrigin = mode === 'api' ? normaliseOrigin(apiUrl) : null;
    if (mode === 'api' && !apiOrigin) {
      $('saved').textContent = 'API mode needs the URL of a ptd API server.';
      return;
    }
    // The permission request must start inside the submit handler (user gesture), before any other await.
    const permission = apiOrigin ? browser.permissions.request(apiPermissions(apiOrigin)) : Promise.resolve(true);
    void permission.then(async (granted) => {
      if (!granted) {
        $('saved').textContent = `Permission to send page text to ${apiOrigin} was not granted; API mode stays off.`;
        return;
      }
      await saveSettings({
        mode,
        apiUrl,
        apiKey: field<HTMLInputElement>('apiKey').value,
        device: field<HTMLSelectElement>('device').value as Settings['device'],
        scheme: field<HTMLSelectElement>('scheme').value as ColourScheme,
        showBorderline: field<HTMLInputElement>('showBorderline').checked,
        evidence: field<HTMLInputElement>('evidence').checked,
        autoScanSites: sites,
      });
      await sendToBackground({ target: 'background', type: 'sync-auto-scan' });
      $('saved').textContent = 'Saved.';
    });
  });
}

void main();
