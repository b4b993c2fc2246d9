import { readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { InputError } from './errors';

/** One event read from the input, with where it came from (for messages that say where). */
export interface InputEvent {
  location: string;
  value: unknown;
}

/** A file that could not be read as events: reported, and the rest of the input goes on. */
export interface UnreadableFile {
  location: string;
  error: string;
}

/** CloudTrail writes digest files (hash chains for log file validation) next to the logs. */
const DIGEST = /(^|[/\\_])CloudTrail-Digest([/\\_]|$)/;

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
      .filter((entry) => !DIGEST.test(entry.name))
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

/** Where a JSON.parse error happened, as line and column (Node reports a character position). */
function whereInText(text: string, error: Error): string {
  const position = Number(/at position (\d+)/.exec(error.message)?.[1] ?? Number.NaN);
  const at = Number.isNaN(position) ? text.length : position;
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = at - before.lastIndexOf('\n');
  const reason = error.message
    .replace(/\s*\(line \d+ column \d+\)$/, '')
    .replace(/ in JSON at position \d+.*$/, '');
  return `line ${line}, column ${column}: ${reason}`;
}

/**
 * JSON document, or NDJSON (one event per line) when the whole text is not one document but its
 * first line is. A document cut short (a truncated download, a corrupt `.gz`) is reported at the
 * line and column where reading failed, not as "line 1" of an NDJSON file it never was.
 */
export function parseEvents(text: string, location: string): InputEvent[] {
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new InputError(`${location}: empty input`);
  try {
    return eventsOf(JSON.parse(trimmed), location);
  } catch (error) {
    if (error instanceof InputError) throw error;
    const lines = text.split(/\r?\n/);
    const firstLine = lines.find((line) => line.trim()) ?? '';
    if (lines.filter((line) => line.trim()).length < 2 || !parsesAlone(firstLine)) {
      throw new InputError(`${location}: not JSON (${whereInText(text, error as Error)})`);
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

function parsesAlone(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

/** The events of one file (or of stdin), in order. */
export interface InputFile {
  location: string;
  events: InputEvent[];
}

/**
 * Every file of a file, a directory (recursively; CloudTrail digest files skipped) or `-` (stdin),
 * read as events, one file at a time. A file that cannot be read as events is yielded as an
 * `UnreadableFile` and the rest of the input goes on: one corrupt file in an `AWSLogs/` tree must
 * not hide what the others hold. Files are read synchronously: a CloudTrail log file is small, and
 * the promise-based reader grows its buffer chunk by chunk (a copy of every file, measured at 6 %
 * of a trail replay) and leaves the process idle between files.
 */
export async function* readInputFiles(path: string): AsyncGenerator<InputFile | UnreadableFile> {
  if (path === '-') {
    yield { location: '<stdin>', events: parseEvents(decode(await readStdin(), '<stdin>'), '<stdin>') };
    return;
  }
  for (const file of await filesUnder(path)) {
    let events: InputEvent[];
    try {
      events = parseEvents(decode(readFileSync(file), file), file);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      yield { location: file, error: error.message };
      continue;
    }
    yield { location: file, events };
  }
}

/** `readInputFiles`, one event (or unreadable file) at a time. */
export async function* readInputs(path: string): AsyncGenerator<InputEvent | UnreadableFile> {
  for await (const file of readInputFiles(path)) {
    if ('error' in file) yield file;
    else yield* file.events;
  }
}
