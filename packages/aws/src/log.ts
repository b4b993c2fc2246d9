/** Structured fields next to a log message (never secrets). */
export type LogFields = Record<string, unknown>;

/**
 * Where library code reports what it survived (a channel down, a marker not updated). The functions
 * pass their Powertools `Logger`, which satisfies this shape, so these lines carry the record's
 * correlation keys; the CLI and local runs get `stderrLogger`. Library code never calls `console`.
 */
export interface DriftguardLogger {
  warn(message: string, ...fields: LogFields[]): void;
  error(message: string, ...fields: LogFields[]): void;
}

/** The default outside Lambda: one `[driftguard] message {fields}` line on stderr. */
export const stderrLogger: DriftguardLogger = {
  warn: (message, ...fields) => writeLine(message, fields),
  error: (message, ...fields) => writeLine(message, fields),
};

function writeLine(message: string, fields: LogFields[]): void {
  const extra = fields.length ? ` ${JSON.stringify(Object.assign({}, ...fields))}` : '';
  const prefixed = message.startsWith('[driftguard]') ? message : `[driftguard] ${message}`;
  process.stderr.write(`${prefixed}${extra}\n`);
}

/** The `(message) => void` callback shape the stores and channels take, bound to a logger. */
export function warnWith(logger: DriftguardLogger): (message: string) => void {
  return (message) => logger.warn(message);
}
