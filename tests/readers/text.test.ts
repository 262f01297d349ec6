import { describe, expect, it } from 'vitest';
import { formatOf, parseJsonl } from '../../cli/inputs.ts';
import { htmlToText, markdownToText, MAX_HTML_DEPTH, NestingError } from '../../readers/text.ts';

describe('htmlToText', () => {
  it('keeps visible text only, one block per paragraph', () => {
    const html =
      '<!doctype html><html><head><title>T</title><style>p{}</style><script>x()</script></head><body>' +
      '<h1>Title &amp; more</h1><p>First   para, with <b>bold</b>\n text.<br>Line two.</p>' +
      '<div hidden>secret</div><p style="display: none">gone</p><p>Last<span aria-hidden="true">x</span> word.</p>' +
      '<noscript>enable js</noscript><template><p>tpl</p></template><table><tr><td>Cell one</td><td>Cell two</td></tr></table>' +
      '<pre>keep   this\n  spacing</pre><p>Unclosed <i>italic</p><p>After</body></html>';
    expect(htmlToText(html)).toBe(
      'Title & more\n\nFirst para, with bold text.\nLine two.\n\nLast word.\n\nCell one\n\nCell two\n\nkeep this\nspacing\n\nUnclosed italic\n\nAfter',
    );
  });

  it('refuses HTML nested deeper than MAX_HTML_DEPTH (the parser would slow down quadratically)', () => {
    expect(htmlToText(`${'<div>'.repeat(MAX_HTML_DEPTH - 2)}deep${'</div>'.repeat(MAX_HTML_DEPTH - 2)}`)).toBe('deep');
    expect(() => htmlToText('<div>'.repeat(400_000))).toThrow(NestingError);
  });

  it('returns nothing for markup without text', () => {
    expect(htmlToText('<html><head><script>1</script></head><body><img src=x></body></html>')).toBe('');
  });
});

describe('markdownToText', () => {
  it('drops front matter, code, images and markup but keeps the prose', () => {
    const md =
      '---\ntitle: x\n---\n# Head\n\nSome **bold** and *it* and _em_ and [link](http://a.b) and `code`.\n\n' +
      '```js\ncode();\n```\n\n![img](a.png)\n\n- snake_case_name stays\n- item two\n\n---\n\nEnd <!-- note -->.';
    expect(markdownToText(md)).toBe('# Head\n\nSome bold and it and em and link and code.\n\n- snake_case_name stays\n- item two\n\nEnd .');
    expect(markdownToText('**bold** and __also__, [a](x/(y)) [b][r] ![i](p) <b>tag</b> <!-- a <!-- b --> c\n[r]: http://x')).toBe('bold and also, a b  tag  c');
  });

  // Before, each unclosed opening made the pattern rescan the rest of the text: 2 MB (the API's upload limit) of
  // these took minutes. Linear now; the test's timeout catches a regression.
  it('reads 2 MB of unclosed Markdown openings in linear time', { timeout: 20_000 }, () => {
    for (const unit of ['**a ', '__a ', '[a](', '![a](', '[a][', '[\n', '-\n', '<a ', '<!--']) {
      expect(typeof markdownToText(unit.repeat(Math.ceil(2_000_000 / unit.length)))).toBe('string');
    }
  });
});

describe('inputs', () => {
  it('maps extensions to formats', () => {
    expect(formatOf('a.TXT')).toBe('txt');
    expect(formatOf('a.markdown')).toBe('md');
    expect(formatOf('a.htm')).toBe('html');
    expect(formatOf('a.ndjson')).toBe('jsonl');
    expect(formatOf('-')).toBe('txt');
    expect(formatOf('a.pdf', 'txt')).toBe('txt');
    expect(() => formatOf('a.pdf')).toThrow(/unsupported format "\.pdf"/);
    expect(() => formatOf('README')).toThrow(/no extension/);
  });

  it('parses JSON lines with text and optional id', () => {
    expect(parseJsonl('{"id":1,"text":"a"}\n\n{"text":"b","id":"x"}\n{"text":"c","id":{}}', 'f')).toEqual([
      { source: 'f:1', id: 1, text: 'a' },
      { source: 'f:3', id: 'x', text: 'b' },
      { source: 'f:4', text: 'c' },
    ]);
    expect(() => parseJsonl('{"text": 3}', 'f')).toThrow(/f line 1: no "text" string field/);
  });
});
