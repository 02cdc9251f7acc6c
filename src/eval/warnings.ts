/**
 * The nodes' warnings of a whole run, grouped by kind: messages that differ only in their numbers
 * ("latest sample is 240 ms old" ... "600 ms old") are one kind, printed once with its count and
 * the range each number took, so that 48 warnings read as the three things that happened.
 */
export interface WarningGroup {
  /** 'warn' or 'error' (the logger's level prefix), 'warn' when the line has none. */
  level: string;
  /** The message with every number replaced by '#': the grouping key. */
  kind: string;
  count: number;
  /** The message with each number shown as the range it took over the group (240..600). */
  text: string;
}

const NUMBER = /-?\d+(?:\.\d+)?(?:e[-+]?\d+)?/gi;

interface Open { level: string; kind: string; count: number; parts: string[]; ranges: { lo: number; hi: number; lo_s: string; hi_s: string }[] }

export function groupWarnings(lines: readonly string[]): WarningGroup[] {
  const groups = new Map<string, Open>();
  for (const line of lines) {
    const m = /^(warn|error|fatal):\s*/.exec(line);
    const level = m ? (m[1] as string) : 'warn';
    const message = m ? line.slice(m[0].length) : line;
    const numbers = message.match(NUMBER) ?? [];
    const parts = message.split(NUMBER);
    const kind = parts.join('#');
    const key = `${level}|${kind}`;
    let g = groups.get(key);
    if (!g) {
      g = { level, kind, count: 0, parts, ranges: numbers.map((s) => ({ lo: Number(s), hi: Number(s), lo_s: s, hi_s: s })) };
      groups.set(key, g);
    }
    g.count++;
    numbers.forEach((s, i) => {
      const r = g.ranges[i];
      if (!r) return;
      const v = Number(s);
      if (v < r.lo) { r.lo = v; r.lo_s = s; }
      if (v > r.hi) { r.hi = v; r.hi_s = s; }
    });
  }
  const order = (l: string): number => (l === 'warn' ? 1 : 0);
  return [...groups.values()]
    .map((g) => ({
      level: g.level, kind: g.kind, count: g.count,
      text: g.parts.map((p, i) => (i < g.ranges.length ? p + (g.ranges[i]!.lo === g.ranges[i]!.hi ? g.ranges[i]!.lo_s : `${g.ranges[i]!.lo_s}..${g.ranges[i]!.hi_s}`) : p)).join(''),
    }))
    .sort((a, b) => order(a.level) - order(b.level) || b.count - a.count || a.kind.localeCompare(b.kind));
}

/** Greedy word wrap to `width` columns; continuation lines start with `indent`. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const out: string[] = [];
  const lead = /^ */.exec(text)?.[0] ?? '';
  let line = lead;
  for (const word of text.slice(lead.length).split(/ +/)) {
    const candidate = line.trim() === '' ? `${line}${word}` : `${line} ${word}`;
    if (candidate.length <= width || line.trim() === '') line = candidate;
    else { out.push(line); line = `${indent}${word}`; }
  }
  if (line.trim() !== '') out.push(line);
  return out;
}

/** "48 warnings of 3 kinds:" then one wrapped entry per kind, errors first, most frequent first. */
export function formatWarnings(lines: readonly string[], width = 80): string {
  if (lines.length === 0) return '';
  const groups = groupWarnings(lines);
  const head = `${lines.length} warning${lines.length === 1 ? '' : 's'} from the nodes, ${groups.length} kind${groups.length === 1 ? '' : 's'}:`;
  const body = groups.flatMap((g) => {
    const label = g.level === 'warn' ? '' : `${g.level.toUpperCase()}: `;
    return wrap(`${label}${g.text}`, width - 8).map((l, i) => `${i === 0 ? `${g.count}x`.padStart(6) : ''}`.padEnd(8) + l);
  });
  return [head, ...body].join('\n');
}
