import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** One event read from the input, with where it came from (for messages that say where). */
export interface InputEvent {
  location: string;
  value: unknown;
}

export class InputError extends Error {}

const EVENT_FILE = /\.(json|jsonl|ndjson)(\.gz)?$/i;

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function filesUnder(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => {
    throw new InputError(`${path}: no such file or directory`);
  });
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  const nested = await Promise.all(
    entries
      .filter((entry) => entry.isDirectory() || EVENT_FILE.test(entry.name))
      .map((entry) => filesUnder(join(path, entry.name))),
  );
  return nested.flat().sort();
}

function decode(buffer: Buffer, location: string): string {
  // gzip magic number: CloudTrail delivers .json.gz; stdin may carry either.
  if (buffer[0] === 0x1f && buffer[1] === 0x8b) {
    try {
      return gunzipSync(buffer).toString('utf8');
    } catch (error) {
      throw new InputError(`${location}: not a valid gzip file (${(error as Error).message})`);
    }
  }
  return buffer.toString('utf8');
}

/** Splits one parsed document into events: CloudTrail log files, GuardDuty finding lists, arrays, or a single event. */
function eventsOf(document: unknown, location: string): InputEvent[] {
  if (Array.isArray(document))
    return document.map((value, index) => ({ location: `${location}[${index}]`, value }));
  if (typeof document === 'object' && document !== null && 'Records' in document) {
    const records = (document as { Records: unknown }).Records;
    if (!Array.isArray(records)) throw new InputError(`${location}: "Records" is not an array`);
    return records.map((value, index) => ({ location: `${location} Records[${index}]`, value }));
  }
  // `aws guardduty get-findings` output: { "Findings": [ … ] }
  if (typeof document === 'object' && document !== null && 'Findings' in document) {
    const findings = (document as { Findings: unknown }).Findings;
    if (!Array.isArray(findings)) throw new InputError(`${location}: "Findings" is not an array`);
    return findings.map((value, index) => ({ location: `${location} Findings[${index}]`, value }));
  }
  return [{ location, value: document }];
}

/** JSON document, or NDJSON (one event per line) when the whole text is not one document. */
export function parseEvents(text: string, location: string): InputEvent[] {
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new InputError(`${location}: empty input`);
  try {
    return eventsOf(JSON.parse(trimmed), location);
  } catch (error) {
    if (error instanceof InputError) throw error;
    const lines = text.split(/\r?\n/);
    if (lines.filter((line) => line.trim()).length < 2) {
      throw new InputError(`${location}: not JSON (${(error as Error).message})`);
    }
    return lines.flatMap((line, index) => {
      if (!line.trim()) return [];
      try {
        return eventsOf(JSON.parse(line), `${location}:${index + 1}`);
      } catch (lineError) {
        if (lineError instanceof InputError) throw lineError;
        throw new InputError(`${location}:${index + 1}: not JSON (${(lineError as Error).message})`);
      }
    });
  }
}

/** Reads every event from a file, a directory (recursively) or `-` (stdin). */
export async function* readInputs(path: string): AsyncGenerator<InputEvent> {
  if (path === '-') {
    yield* parseEvents(decode(await readStdin(), '<stdin>'), '<stdin>');
    return;
  }
  for (const file of await filesUnder(path)) {
    const buffer = await readFile(file);
    yield* parseEvents(decode(buffer, file), file);
  }
}
