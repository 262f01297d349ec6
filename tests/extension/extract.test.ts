// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { extractText, findMainRoot, offsetOf, rangesFor } from '../../extension/content/extract.ts';

function setBody(html: string): void {
  document.body.innerHTML = html;
}

/** Extracts the body and checks the map: every mapped character equals the DOM character it points at. */
function extractChecked(root: Node = document.body) {
  const ex = extractText(root);
  for (const run of ex.runs) {
    for (let k = 0; k < run.length; k++) {
      const fromText = ex.text[run.start + k]!;
      const fromDom = run.node.data[run.offset + k]!;
      expect(fromText === fromDom || (fromText === ' ' && /\s|\u00a0/.test(fromDom))).toBe(true);
    }
  }
  return ex;
}

function rangeText(ex: ReturnType<typeof extractText>, needle: string): string[] {
  const start = ex.text.indexOf(needle);
  expect(start).toBeGreaterThanOrEqual(0);
  return rangesFor(ex, start, start + needle.length).map((r) => r.toString().replace(/\s+/g, ' '));
}

beforeEach(() => {
  document.head.innerHTML = '';
  document.body.innerHTML = '';
});

describe('extractText', () => {
  it('reads inline markup inside sentences as one sentence and maps ranges across elements', () => {
    setBody('<p>The <em>quick</em> brown <a href="#">fox <strong>jumps</strong></a> over the dog. Then it sleeps.</p>');
    const ex = extractChecked();
    expect(ex.text).toBe('The quick brown fox jumps over the dog. Then it sleeps.');
    const ranges = rangeText(ex, 'The quick brown fox jumps over the dog.');
    expect(ranges).toEqual(['The quick brown fox jumps over the dog.']);
    const r = rangesFor(ex, 0, 39)[0]!;
    expect(r.startContainer.textContent).toBe('The ');
    expect(r.endContainer.textContent).toBe(' over the dog. Then it sleeps.');
  });

  it('collapses white space as rendered and turns <br> into a line break', () => {
    setBody('<p>  One\n   two\t three.<br>Four&nbsp;five.  </p>');
    const ex = extractChecked();
    expect(ex.text).toBe('One two three.\nFour five.');
  });

  it('separates blocks with paragraph breaks; headings break but are not read', () => {
    setBody('<h1>Title here</h1><p>First para.</p><div>Second <span>para.</span></div><h2>Sub</h2><p>Third.</p>');
    const ex = extractChecked();
    expect(ex.text).toBe('First para.\n\nSecond para.\n\nThird.');
    expect(ex.text).not.toContain('Title');
  });

  it('keeps nested list items apart', () => {
    setBody('<ul><li>Outer one has text<ul><li>Inner a.</li><li>Inner <b>b</b>.</li></ul>and a tail.</li><li>Outer two.</li></ul>');
    const ex = extractChecked();
    expect(ex.text.split('\n\n')).toEqual(['Outer one has text', 'Inner a.', 'Inner b.', 'and a tail.', 'Outer two.']);
    expect(rangeText(ex, 'Inner b.')).toEqual(['Inner b.']);
  });

  it('skips hidden text (hidden attribute, aria-hidden, display:none, visibility:hidden)', () => {
    setBody(
      '<p>Seen one.<span hidden>Gone A.</span></p><p aria-hidden="true">Gone B.</p>' +
        '<p style="display:none">Gone C.</p><p style="visibility:hidden">Gone D.</p>' +
        '<style>.x{display:none}</style><p class="x">Gone E.</p><p>Seen two.</p>',
    );
    const ex = extractChecked();
    expect(ex.text).toBe('Seen one.\n\nSeen two.');
  });

  it('skips scripts, navigation, form controls, editable elements and code blocks, and counts what it left out', () => {
    setBody(
      '<nav>Home About</nav><header>Site name</header><p>Body text.</p>' +
        '<script>var x = "Script.";</script><form><label>Name</label><textarea>Draft.</textarea><input value="typed"><button>Go</button></form>' +
        '<div contenteditable="true">Editing.</div><pre>code();</pre><p>More <code>inline</code> text.</p>' +
        '<footer>Copyright</footer><div role="navigation">Links</div>',
    );
    const ex = extractChecked();
    expect(ex.text).toBe('Body text.\n\nMore inline text.');
    expect(ex.left.editable).toBe('Draft.'.length + 'typed'.length + 'Editing.'.length);
  });

  it('reads the text of a form (ASP.NET pages wrap the whole page in one), not its controls', () => {
    setBody('<form id="aspnetForm"><div><p>The article sits in a form.</p><label>Search</label><input value="q"><p>It is read.</p></div></form>');
    expect(extractChecked().text).toBe('The article sits in a form.\n\nIt is read.');
  });

  it('reads an editor only when asked (a selection in it, a field check)', () => {
    setBody('<p>Page text.</p><div id="ed" contenteditable="true"><p>Draft one.</p><p>Draft <b>two</b>.</p></div>');
    const editor = document.getElementById('ed')!;
    expect(extractText(editor).text).toBe('');
    expect(extractText(editor, { editable: true }).text).toBe('Draft one.\n\nDraft two.');
    const sel = document.createRange();
    sel.selectNodeContents(editor);
    expect(extractText(editor, { within: sel, editable: true }).text).toBe('Draft one.\n\nDraft two.');
  });

  it('reads open shadow roots (with slots) in place of light children; ranges stay inside one tree', () => {
    setBody('<p id="before">Light text.</p><div id="host"><span>Slotted words.</span></div>');
    const host = document.getElementById('host')!;
    const shadow = host.attachShadow({ mode: 'open' });
    shadow.innerHTML = '<p>Shadow sentence <i>with</i> markup.</p><p><slot></slot></p>';
    const ex = extractChecked();
    expect(ex.text).toBe('Light text.\n\nShadow sentence with markup.\n\nSlotted words.');
    const [range] = rangesFor(ex, ex.text.indexOf('Shadow'), ex.text.indexOf('markup.') + 7);
    expect(range!.toString()).toBe('Shadow sentence with markup.');
    expect(range!.startContainer.getRootNode()).toBe(shadow);
    expect(rangeText(ex, 'Slotted words.')).toEqual(['Slotted words.']);
  });

  it('splits a range that crosses into a shadow root into one range per tree', () => {
    setBody('<p>Starts in light <span id="h"></span></p>');
    const shadow = document.getElementById('h')!.attachShadow({ mode: 'open' });
    shadow.innerHTML = 'and ends in shadow.';
    const ex = extractChecked();
    expect(ex.text).toBe('Starts in light and ends in shadow.');
    const ranges = rangesFor(ex, 0, ex.text.length);
    expect(ranges.map((r) => r.toString().trim())).toEqual(['Starts in light', 'and ends in shadow.']);
    expect(ranges[0]!.startContainer.getRootNode()).toBe(document);
    expect(ranges[1]!.startContainer.getRootNode()).toBe(shadow);
  });

  it('takes only the selected text when given a range', () => {
    setBody('<p id="a">Alpha one. Alpha two.</p><p id="b">Beta one. Beta two.</p>');
    const a = document.getElementById('a')!.firstChild as Text;
    const b = document.getElementById('b')!.firstChild as Text;
    const sel = document.createRange();
    sel.setStart(a, 11);
    sel.setEnd(b, 9);
    const ex = extractText(document.body, { within: sel });
    expect(ex.text).toBe('Alpha two.\n\nBeta one.');
    expect(rangesFor(ex, 0, 10)[0]!.toString()).toBe('Alpha two.');
  });

  it('maps DOM positions back to text offsets', () => {
    setBody('<p>One <b>two</b> three.</p>');
    const ex = extractChecked();
    const bold = document.querySelector('b')!.firstChild!;
    expect(offsetOf(ex, bold, 1)).toBe(ex.text.indexOf('two') + 1);
    expect(offsetOf(ex, document.createTextNode('x'), 0)).toBeNull();
  });

  it('returns no ranges for empty or unmapped spans', () => {
    setBody('<p>A.</p><p>B.</p>');
    const ex = extractChecked();
    expect(rangesFor(ex, 1, 1)).toEqual([]);
    expect(rangesFor(ex, 2, 4)).toEqual([]); // the paragraph break itself
  });
});

describe('findMainRoot', () => {
  it('prefers main, then a single article, else body', () => {
    const long = 'Words of the article. '.repeat(20);
    setBody(`<div>Menu</div><main><p>${long}</p></main>`);
    expect(findMainRoot(document).tagName).toBe('MAIN');
    setBody(`<div>Menu</div><article><p>${long}</p></article>`);
    expect(findMainRoot(document).tagName).toBe('ARTICLE');
    setBody(`<article><p>${long}</p></article><article><p>${long}</p></article>`);
    expect(findMainRoot(document).tagName).toBe('BODY');
    setBody(`<main>Tiny</main><p>${long}</p>`);
    expect(findMainRoot(document).tagName).toBe('BODY');
  });
});
