/**
 * Everything the CLI prints may quote untrusted text (actors, names, policy snippets, reasons). A
 * bidirectional control character in it would reorder what the terminal shows (Trojan Source), so
 * both output streams drop them, whatever command writes and however (console.log included).
 * The same characters as core's `stripBidi` (render/escape.ts); kept here so that `--help` still
 * loads commander alone.
 */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

export function stripBidiFromOutput(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) =>
    write(
      typeof chunk === 'string' ? chunk.replace(BIDI_CONTROLS, '') : chunk,
      ...rest,
    )) as typeof stream.write;
}
