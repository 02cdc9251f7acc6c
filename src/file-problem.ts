/**
 * File-system failures a person can act on (a permission, a missing or mistyped path, a full disk),
 * in words that say what the path was for: "permission denied reading the bag ...", not a stack trace
 * and not a parse error about a file that could not even be opened.
 */
interface ErrnoLike {
  code?: unknown;
  path?: unknown;
  syscall?: unknown;
}

function errno(e: unknown): { code: string; path: string; syscall: string } | null {
  if (e === null || typeof e !== 'object') return null;
  const { code, path, syscall } = e as ErrnoLike;
  if (typeof code !== 'string') return null;
  return { code, path: typeof path === 'string' ? path : '', syscall: typeof syscall === 'string' ? syscall : '' };
}

/**
 * The failure in words, or null when `e` is not one of these. `doing`: what the program was doing
 * with the path, as a phrase ("reading the bag", "writing the output folder (--out)").
 */
export function fileProblem(e: unknown, doing = 'using'): string | null {
  const err = errno(e);
  if (!err) return null;
  const at = `${doing} ${err.path || '(no path given)'} (${err.code}${err.syscall ? ` on ${err.syscall}` : ''})`;
  const uid = typeof process.getuid === 'function' ? ` (uid ${process.getuid()})` : '';
  switch (err.code) {
    case 'EACCES': case 'EPERM': return `permission denied ${at}: this process${uid} may not do that; check the permissions and owner of the path and its folders (ls -ld), or pick another path.`;
    case 'ENOENT': return `no such file or directory ${at}; check the path.`;
    case 'ENOTDIR': return `a part of the path is a file, not a folder, ${at}; check the path.`;
    case 'EISDIR': return `the path is a folder where a file was expected, ${at}.`;
    case 'ENOSPC': return `no space left on the device ${at}; free some space or pick another path.`;
    case 'EROFS': return `read-only file system ${at}; pick a writable path.`;
    case 'ELOOP': return `too many symbolic links ${at} (a link loop?); check the path.`;
    case 'ENAMETOOLONG': return `the path is too long ${at}.`;
    default: return null;
  }
}

/** Runs `f`; a file-system failure it throws becomes `wrap(message)` (the caller's error class). */
export function withFileProblems<T>(doing: string, wrap: (message: string) => Error, f: () => T): T {
  try {
    return f();
  } catch (e) {
    const problem = fileProblem(e, doing);
    throw problem ? wrap(problem) : e;
  }
}

/** withFileProblems for async work. */
export async function withFileProblemsAsync<T>(doing: string, wrap: (message: string) => Error, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    const problem = fileProblem(e, doing);
    throw problem ? wrap(problem) : e;
  }
}
