// Browser-safe entry point of the ptd runtime (no node: imports): the extension bundles it, the API and the
// CLI use it through model/node.ts. Every face scores documents through `loadDetector`.
export type * from './types.ts';
export { segment, segmentsFromSentences, countWords } from './segment.ts';
