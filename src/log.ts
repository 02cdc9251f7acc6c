/** The logging the runtime needs; the ROS graph maps it onto the node's logger. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

/** Writes to stderr, so that stdout stays for the command's own output. */
export function consoleLogger(level: LogLevel = 'info', name = 'twinvla'): Logger {
  const emit = (at: Exclude<LogLevel, 'silent'>, message: string): void => {
    if (ORDER[at] >= ORDER[level]) process.stderr.write(`[${at.toUpperCase()}] [${name}] ${message}\n`);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
  };
}

/** Keeps every line, for tests that check what was said. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  debug(m: string): void { this.lines.push(`debug: ${m}`); }
  info(m: string): void { this.lines.push(`info: ${m}`); }
  warn(m: string): void { this.lines.push(`warn: ${m}`); }
  error(m: string): void { this.lines.push(`error: ${m}`); }
}
