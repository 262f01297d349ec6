// The playground page's script (bundled by api/playground/bundle.ts; the page's CSP allows no inline code).
import { docxLimits, docxToText } from '../../readers/docx.ts';
import { decodeUtf8 } from '../../readers/text.ts';
import { DEFAULT_MAX_CHARS, countChars, exceedsChars, maxFileBytes } from '../../model/limits.ts';
import { COLOUR_SCHEMES, SCHEME_NAMES, isColourScheme, type ColourScheme } from '../../ui/palette.ts';
import type { DetectionResult } from '../../model/types.ts';
import { renderHighlighted, renderLegend, renderSummary } from './render.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

interface ModelsResponse {
  default: string;
  models: Array<{ name: string; ready: boolean; info?: { device: string; dtype: string } }>;
  limits: { maxCharsPerDocument: number };
}

const state: { result?: DetectionResult; text: string; scheme: ColourScheme; maxChars: number } = {
  text: '',
  scheme: 'standard',
  maxChars: DEFAULT_MAX_CHARS,
};

function headers(): Record<string, string> {
  const key = $<HTMLInputElement>('api-key').value.trim();
  return { 'content-type': 'application/json', accept: 'application/json', ...(key ? { 'x-api-key': key } : {}) };
}

function setStatus(message: string, error = false): void {
  const el = $('status');
  el.textContent = message;
  el.classList.toggle('error', error);
}

async function loadModels(): Promise<void> {
  const res = await fetch('/v1/models', { headers: headers() });
  if (res.status === 401) {
    $('key-label').hidden = false;
    setStatus('This server needs an API key: enter it, then press Detect.', true);
    return;
  }
  if (!res.ok) throw new Error(`GET /v1/models: HTTP ${res.status}`);
  const body = (await res.json()) as ModelsResponse;
  const select = $<HTMLSelectElement>('model');
  select.replaceChildren(
    ...body.models.map((m) => {
      const o = document.createElement('option');
      o.value = m.name;
      o.textContent = m.info ? `${m.name} (${m.info.device}, ${m.info.dtype})` : `${m.name} (loading)`;
      o.selected = m.name === body.default;
      return o;
    }),
  );
  // Not the textarea's maxLength: it counts UTF-16 units, the server counts characters (code points).
  state.maxChars = body.limits.maxCharsPerDocument;
}

function render(): void {
  const result = state.result;
  if (!result) return;
  $('output').hidden = false;
  renderSummary($('summary'), result);
  renderLegend($('legend'), result.threshold, state.scheme);
  renderHighlighted($('highlighted'), state.text, result, state.scheme);
  $('raw').textContent = JSON.stringify(result, null, 2);
}

async function detect(): Promise<void> {
  const text = $<HTMLTextAreaElement>('text').value;
  if (text.trim() === '') {
    setStatus('Paste or drop some text first.', true);
    return;
  }
  if (exceedsChars(text, state.maxChars)) {
    setStatus(`The text has ${countChars(text)} characters; this server takes at most ${state.maxChars} per document.`, true);
    return;
  }
  const button = $<HTMLButtonElement>('detect');
  button.disabled = true;
  setStatus('Scoring…');
  try {
    const threshold = $<HTMLInputElement>('threshold').value;
    const body: Record<string, unknown> = { text, model: $<HTMLSelectElement>('model').value || undefined };
    if (threshold !== '') body.threshold = Number(threshold);
    const res = await fetch('/v1/detect', { method: 'POST', headers: headers(), body: JSON.stringify(body) });
    const json = (await res.json()) as DetectionResult | { error: { code: string; message: string } };
    if (!res.ok || 'error' in json) {
      const e = 'error' in json ? json.error : { code: String(res.status), message: res.statusText };
      if (res.status === 401) $('key-label').hidden = false;
      setStatus(`${e.code}: ${e.message}`, true);
      return;
    }
    state.result = json;
    state.text = text;
    render();
    const skipped = json.coverage.skipped;
    setStatus(`Scored ${json.coverage.scored} of ${json.sentences.length} sentences.${skipped ? ` ${skipped} not checked: the model cannot read them (see Not checked).` : ''}`);
  } catch (err) {
    setStatus(`Request failed: ${(err as Error).message}`, true);
  } finally {
    button.disabled = false;
  }
}

function setupDrop(): void {
  const area = $<HTMLTextAreaElement>('text');
  area.addEventListener('dragover', (e) => {
    e.preventDefault();
    area.classList.add('dragging');
  });
  area.addEventListener('dragleave', () => area.classList.remove('dragging'));
  area.addEventListener('drop', (e) => {
    area.classList.remove('dragging');
    const file = e.dataTransfer?.files[0];
    if (!file) return; // dropped text: the browser inserts it
    e.preventDefault();
    // A Word document is a zip: its body text is read the way `ptd score` reads it, within the same limits (from
    // the server's maxCharsPerDocument); anything else as UTF-8 text. A file larger than a document of that many
    // characters can take is refused before it is read.
    const docx = /\.docx$/i.test(file.name);
    const max = maxFileBytes(docx ? 'docx' : 'html', state.maxChars);
    if (file.size > max) {
      setStatus(`Cannot read ${file.name}: ${Math.ceil(file.size / 1024)} KB, more than a document of ${state.maxChars} characters can take.`, true);
      return;
    }
    const read = file
      .arrayBuffer()
      .then((b) => (docx ? docxToText(new Uint8Array(b), docxLimits(state.maxChars)) : decodeUtf8(new Uint8Array(b))));
    read.then(
      (t) => {
        area.value = t;
        setStatus(`Loaded ${file.name}.`);
      },
      (err: unknown) => setStatus(`Cannot read ${file.name}: ${err instanceof Error ? err.message : String(err)}`, true),
    );
  });
}

function setupCard(): void {
  const card = $('card');
  const host = $('highlighted');
  const show = (target: EventTarget | null, x: number, y: number) => {
    const el = target instanceof HTMLElement ? target.closest<HTMLElement>('.s') : null;
    if (!el?.dataset.tooltip) {
      card.hidden = true;
      return;
    }
    card.textContent = el.dataset.tooltip;
    card.style.left = `${Math.min(x + 12, window.innerWidth - 360)}px`;
    card.style.top = `${y + 16}px`;
    card.hidden = false;
  };
  host.addEventListener('mousemove', (e) => show(e.target, e.clientX, e.clientY));
  host.addEventListener('mouseleave', () => (card.hidden = true));
  host.addEventListener('focusin', (e) => {
    const r = (e.target as HTMLElement).getBoundingClientRect();
    show(e.target, r.left, r.bottom - 8);
  });
  host.addEventListener('focusout', () => (card.hidden = true));
}

function setupSchemes(): void {
  const select = $<HTMLSelectElement>('scheme');
  const saved = localStorage.getItem('ptd-scheme');
  if (isColourScheme(saved)) state.scheme = saved;
  select.replaceChildren(
    ...COLOUR_SCHEMES.map((s) => {
      const o = document.createElement('option');
      o.value = s;
      o.textContent = SCHEME_NAMES[s];
      o.selected = s === state.scheme;
      return o;
    }),
  );
  select.addEventListener('change', () => {
    if (isColourScheme(select.value)) state.scheme = select.value;
    localStorage.setItem('ptd-scheme', state.scheme);
    render();
  });
}

function init(): void {
  const key = sessionStorage.getItem('ptd-api-key');
  if (key) {
    $<HTMLInputElement>('api-key').value = key;
    $('key-label').hidden = false;
  }
  $<HTMLInputElement>('api-key').addEventListener('change', (e) => {
    sessionStorage.setItem('ptd-api-key', (e.target as HTMLInputElement).value);
    void loadModels().catch((err) => setStatus(String(err), true));
  });
  setupSchemes();
  setupDrop();
  setupCard();
  $('detect').addEventListener('click', () => void detect());
  $<HTMLTextAreaElement>('text').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void detect();
  });
  void loadModels().catch((err) => setStatus(`Could not list models: ${(err as Error).message}`, true));
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
