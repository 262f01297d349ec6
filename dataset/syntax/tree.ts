// PASTED's syntactic-change signal: the tree edit distance between the constituency trees of a paraphrase and
// of its original, both cut at depth 3, over the size of the larger tree (0 = same structure, 1 = nothing shared).
// Trees hold phrase labels only (S, NP, VP, PP, SBAR, …): the words are the lexical signal's business.

export interface PhraseTree {
  label: string;
  children: PhraseTree[];
}

/** Levels kept below the root (PASTED cuts the trees at depth 3). */
export const SYNTAX_DEPTH = 3;

/**
 * A bracketed constituency tree — `(S (NP the dog.n) (VP ran.v))`, as link-parser prints it with
 * `constituents=3` — as phrase labels; words are dropped. null when the brackets do not balance.
 */
export function parseBracketed(line: string): PhraseTree | null {
  const tokens = line.match(/\(|\)|[^\s()]+/gu) ?? [];
  let at = 0;
  const node = (): PhraseTree | null => {
    // tokens[at] is "(": a label follows, then words and sub-trees up to the matching ")".
    at++;
    const label = tokens[at];
    if (label === undefined || label === '(' || label === ')') return null;
    at++;
    const tree: PhraseTree = { label, children: [] };
    while (at < tokens.length && tokens[at] !== ')') {
      if (tokens[at] === '(') {
        const child = node();
        if (!child) return null;
        tree.children.push(child);
      } else {
        at++; // a word
      }
    }
    if (tokens[at] !== ')') return null;
    at++;
    return tree;
  };
  if (tokens[0] !== '(') return null;
  const tree = node();
  return tree && at === tokens.length ? tree : null;
}

/** The sentences' trees under one ROOT (a Penn-style root; several trees when one side is several sentences). */
export function rooted(trees: PhraseTree[]): PhraseTree {
  return { label: 'ROOT', children: trees };
}

/** The tree with every node deeper than `depth` levels below the root removed. */
export function cutAtDepth(tree: PhraseTree, depth: number = SYNTAX_DEPTH): PhraseTree {
  return { label: tree.label, children: depth <= 0 ? [] : tree.children.map((c) => cutAtDepth(c, depth - 1)) };
}

export function treeSize(tree: PhraseTree): number {
  return 1 + tree.children.reduce((n, c) => n + treeSize(c), 0);
}

/** The tree in one line, as parseBracketed reads it back: `(ROOT (S (NP) (VP (NP))))`. */
export function formatTree(tree: PhraseTree): string {
  return `(${tree.label}${tree.children.map((c) => ` ${formatTree(c)}`).join('')})`;
}

interface Postorder {
  labels: string[];
  /** Per node (postorder, 0-based): the postorder index of its leftmost leaf. */
  leftmost: number[];
}

function postorder(tree: PhraseTree): Postorder {
  const labels: string[] = [];
  const leftmost: number[] = [];
  const visit = (t: PhraseTree): number => {
    let first = -1;
    for (const c of t.children) {
      const l = visit(c);
      if (first < 0) first = l;
    }
    labels.push(t.label);
    leftmost.push(first < 0 ? labels.length - 1 : first);
    return leftmost[leftmost.length - 1]!;
  };
  visit(tree);
  return { labels, leftmost };
}

/** The nodes that are the highest with their leftmost leaf (Zhang–Shasha's key roots), ascending. */
function keyRoots(p: Postorder): number[] {
  const highest = new Map<number, number>();
  p.leftmost.forEach((l, i) => highest.set(l, i));
  return [...highest.values()].sort((a, b) => a - b);
}

/** Ordered tree edit distance with unit costs (insert, delete, relabel), Zhang & Shasha (1989). */
export function treeEditDistance(a: PhraseTree, b: PhraseTree): number {
  const A = postorder(a);
  const B = postorder(b);
  const n = A.labels.length;
  const m = B.labels.length;
  const td: number[][] = Array.from({ length: n }, () => new Array<number>(m).fill(0));
  // fd[x][y]: forest distance, offset by one so that index 0 is the empty forest before leftmost(i) / leftmost(j).
  const fd: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (const i of keyRoots(A)) {
    for (const j of keyRoots(B)) {
      const li = A.leftmost[i]!;
      const lj = B.leftmost[j]!;
      fd[li]![lj] = 0;
      for (let x = li; x <= i; x++) fd[x + 1]![lj] = fd[x]![lj]! + 1;
      for (let y = lj; y <= j; y++) fd[li]![y + 1] = fd[li]![y]! + 1;
      for (let x = li; x <= i; x++) {
        for (let y = lj; y <= j; y++) {
          const del = fd[x]![y + 1]! + 1;
          const ins = fd[x + 1]![y]! + 1;
          if (A.leftmost[x] === li && B.leftmost[y] === lj) {
            const relabel = fd[x]![y]! + (A.labels[x] === B.labels[y] ? 0 : 1);
            fd[x + 1]![y + 1] = Math.min(del, ins, relabel);
            td[x]![y] = fd[x + 1]![y + 1]!;
          } else {
            fd[x + 1]![y + 1] = Math.min(del, ins, fd[A.leftmost[x]!]![B.leftmost[y]!]! + td[x]![y]!);
          }
        }
      }
    }
  }
  return td[n - 1]![m - 1]!;
}

/**
 * Syntactic change of a paraphrase against its original, each given as its sentences' trees: the edit distance
 * of the two rooted trees cut at depth 3, over the larger one's size (in [0, 1]).
 */
export function syntacticChange(paraphrase: PhraseTree[], original: PhraseTree[]): number {
  const a = cutAtDepth(rooted(paraphrase));
  const b = cutAtDepth(rooted(original));
  return treeEditDistance(a, b) / Math.max(treeSize(a), treeSize(b));
}
