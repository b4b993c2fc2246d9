import { isAscii } from 'node:buffer';

/**
 * Everything the CLI prints may quote untrusted text (actors, names, policy snippets, reasons). A
 * bidirectional control character in it would reorder what the terminal shows (Trojan Source), so
 * both output streams drop them, whatever command writes and however (console.log included).
 * The same characters as core's `stripBidi` (render/escape.ts); kept here so that `--help` still
 * loads commander alone.
 */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

/**
 * Bytes (replay writes its output as buffers of UTF-8) are checked too: all-ASCII bytes (nearly
 * always) cannot hold one and pass as they are; others are decoded and re-encoded only when they
 * do hold one, so any other bytes reach the stream unchanged.
 */
function withoutBidi(chunk: unknown): unknown {
  if (typeof chunk === 'string') return chunk.replace(BIDI_CONTROLS, '');
  if (!(chunk instanceof Uint8Array) || isAscii(chunk)) return chunk;
  const text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
  return text.search(BIDI_CONTROLS) >= 0 ? Buffer.from(text.replace(BIDI_CONTROLS, ''), 'utf8') : chunk;
}

export function stripBidiFromOutput(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) =>
    write(withoutBidi(chunk), ...rest)) as typeof stream.write;
}
