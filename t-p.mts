import { markupBomb, withDeclaredSize, paragraphBomb, docxBomb } from './tests/helpers/docx.ts';
import { docxLimits, docxToText } from './model/commands/docx.ts';
import { TextExtractor } from './api/extract/client.ts';
const b = withDeclaredSize(markupBomb(20), docxLimits().maxBodyBytes);
const x = new TextExtractor();
let t = performance.now(); await x.warm(); console.log('warm', Math.round(performance.now() - t));
for (let k = 0; k < 3; k++) {
  t = performance.now(); const r = await x.extract(b, 'docx', 50000); console.log('worker lying', Math.round(performance.now() - t), !r.ok && r.error.message);
  t = performance.now(); const r2 = await x.extract(paragraphBomb(900_000), 'docx', 50000); console.log('worker para', Math.round(performance.now() - t));
  t = performance.now(); try { docxToText(b); } catch {} console.log('main lying', Math.round(performance.now() - t));
}
await x.close();
