/**
 * The known name closest to a mistyped one, for "did you mean" hints in messages about unknown
 * manifest keys and parameters. Close means within a third of the name's length in edits
 * (Levenshtein, a swap of neighbours counting as one), so a hint is offered for typos and not for unrelated names.
 */
function distance(a: string, b: string): number {
  // d[i][j]: edits from a[0..i) to b[0..j), a swap of two neighbours counting as one (the commonest typo).
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The closest of `known` to `name`, or null when none is close enough to be a likely typo. */
export function closeMatch(name: string, known: Iterable<string>): string | null {
  const limit = Math.max(1, Math.floor(name.length / 3));
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = distance(name.toLowerCase(), k.toLowerCase());
    if (d <= limit && d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

/** " (did you mean X?)" or nothing. */
export function didYouMean(name: string, known: Iterable<string>): string {
  const m = closeMatch(name, known);
  return m === null ? '' : ` (did you mean ${m}?)`;
}
