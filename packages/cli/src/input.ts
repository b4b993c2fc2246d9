import { readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzip, type ZlibOptions } from 'node:zlib';
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

/** Larger trailers are taken as a claim, not a size to allocate: such files inflate in chunks. */
const MAX_SINGLE_CHUNK = 64 * 1024 * 1024;

/**
 * A gzip file ends with its uncompressed size (modulo 2^32): inflating into one buffer that large
 * spares zlib's 16 KB chunks and their concatenation (a copy of every file). A wrong trailer only
 * costs the chunks back (zlib allocates more as it needs), never the content.
 */
function inflateOptions(gzip: Buffer): ZlibOptions {
  const size = gzip.length >= 4 ? gzip.readUInt32LE(gzip.length - 4) : 0;
  // One byte spare: zlib takes a full output buffer as "maybe more" and allocates another chunk.
  return { chunkSize: Math.min(Math.max(size + 1, 16 * 1024), MAX_SINGLE_CHUNK) };
}

/**
 * The bytes of a file, inflated if they are gzip (CloudTrail delivers .json.gz; stdin may carry
 * either). Inflating runs on libuv's thread pool, so the next file inflates while this one is judged.
 */
function inflated(buffer: Buffer, location: string): Promise<Buffer> {
  if (buffer[0] !== 0x1f || buffer[1] !== 0x8b) return Promise.resolve(buffer);
  return new Promise((resolve, reject) =>
    gunzip(buffer, inflateOptions(buffer), (error, bytes) =>
      error
        ? reject(new InputError(`${location}: not a valid gzip file (${error.message})`))
        : resolve(bytes),
    ),
  );
}

/**
 * The events of one file (or of stdin), in order. A file's records are used as JSON.parse made
 * them: where each came from is worded only when a message needs it (one string and one object per
 * record cost more than judging an unwatched call).
 */
export interface InputFile {
  location: string;
  events: unknown[];
  /** Where `events[index]` came from (`…json.gz Records[12]`, `events.ndjson:4`), for messages. */
  where(index: number): string;
}

function listedEvents(events: unknown[], location: string, prefix: string): InputFile {
  return { location, events, where: (index) => `${prefix}[${index}]` };
}

/** A CloudTrail log file as CloudTrail writes it: one line, `{"Records":[` … `]}`. */
const LOG_HEAD = Buffer.from('{"Records":[');
const LOG_TAIL = Buffer.from(']}');
/** CloudTrail writes `eventVersion` first in every record. */
const NEXT_RECORD = Buffer.from('},{"eventVersion":');
/** Pieces well under V8's large-object size (128 KB), so their strings live in the young generation. */
const PIECE_BYTES = 16 * 1024;
const isSpace = (byte: number | undefined) =>
  byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/**
 * The records of a CloudTrail log file, parsed in pieces of a few records. A log file made one
 * string of ~1 MB: V8 puts each such string in fresh pages of its own, and decoding and parsing it
 * took twice as long as the same bytes in 16 KB pieces. The file is cut only where `},{"eventVersion":`
 * follows a record and each piece is parsed as an array (`[` piece `]`), so a piece holds one
 * record or several. When every piece parses, the file is exactly the concatenation of those
 * arrays (each piece is a complete list of JSON values, so no cut is inside a string or a nested
 * object), and the records are what JSON.parse of the whole file gives. Anything else (another
 * layout, a cut that lands inside a record, bad JSON) answers undefined: the caller then parses
 * the whole text, with its messages.
 */
export function cloudTrailRecords(bytes: Buffer, pieceBytes = PIECE_BYTES): unknown[] | undefined {
  let end = bytes.length;
  while (end > 0 && isSpace(bytes[end - 1])) end -= 1;
  end -= LOG_TAIL.length;
  if (end <= LOG_HEAD.length || !bytes.subarray(0, LOG_HEAD.length).equals(LOG_HEAD)) return undefined;
  if (!bytes.subarray(end, end + LOG_TAIL.length).equals(LOG_TAIL)) return undefined;
  const records: unknown[] = [];
  let start = LOG_HEAD.length;
  try {
    while (start < end) {
      const cut = bytes.indexOf(NEXT_RECORD, start + pieceBytes);
      const stop = cut >= 0 && cut < end ? cut + 1 : end;
      const piece = JSON.parse(`[${bytes.toString('utf8', start, stop)}]`) as unknown[];
      // Whitespace alone (`{"Records":[ ]}`): no record to cut, read whole.
      if (piece.length === 0) return undefined;
      for (const record of piece) records.push(record);
      start = stop + 1;
    }
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
  return records;
}

/** The events of a file's bytes (inflated): a CloudTrail log file in pieces, anything else whole. */
function eventsOfBytes(bytes: Buffer, location: string): InputFile {
  const records = cloudTrailRecords(bytes);
  if (records) return listedEvents(records, location, `${location} Records`);
  return parseEvents(bytes.toString('utf8'), location);
}

/** Splits one parsed document into events: CloudTrail log files, GuardDuty finding lists, arrays, or a single event. */
function eventsOf(document: unknown, location: string): InputFile {
  const listed = (events: unknown[], prefix: string) => listedEvents(events, location, prefix);
  if (Array.isArray(document)) return listed(document, location);
  if (typeof document === 'object' && document !== null && 'Records' in document) {
    const records = (document as { Records: unknown }).Records;
    if (!Array.isArray(records)) throw new InputError(`${location}: "Records" is not an array`);
    return listed(records, `${location} Records`);
  }
  // `aws guardduty get-findings` output: { "Findings": [ … ] }
  if (typeof document === 'object' && document !== null && 'Findings' in document) {
    const findings = (document as { Findings: unknown }).Findings;
    if (!Array.isArray(findings)) throw new InputError(`${location}: "Findings" is not an array`);
    return listed(findings, `${location} Findings`);
  }
  return { location, events: [document], where: () => location };
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
export function parseEvents(text: string, location: string): InputFile {
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
    const events: unknown[] = [];
    const locations: string[] = [];
    lines.forEach((line, index) => {
      if (!line.trim()) return;
      let parsed: InputFile;
      try {
        parsed = eventsOf(JSON.parse(line), `${location}:${index + 1}`);
      } catch (lineError) {
        if (lineError instanceof InputError) throw lineError;
        throw new InputError(`${location}:${index + 1}: not JSON (${(lineError as Error).message})`);
      }
      parsed.events.forEach((event, at) => {
        events.push(event);
        locations.push(parsed.where(at));
      });
    });
    return { location, events, where: (index) => locations[index] ?? location };
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

/** A file read ahead: its bytes, or what reading them threw (rethrown when its turn comes). */
type ReadAhead = Promise<{ bytes: Buffer } | { error: unknown }>;

function readAhead(file: string): ReadAhead {
  try {
    return inflated(readFileSync(file), file).then(
      (bytes) => ({ bytes }),
      (error: unknown) => ({ error }),
    );
  } catch (error) {
    return Promise.resolve({ error });
  }
}

/**
 * Every file of a file, a directory (recursively; CloudTrail digest files skipped) or `-` (stdin),
 * read as events, one file at a time. A file that cannot be read as events is yielded as an
 * `UnreadableFile` and the rest of the input goes on: one corrupt file in an `AWSLogs/` tree must
 * not hide what the others hold. Files are read synchronously: a CloudTrail log file is small, and
 * the promise-based reader grows its buffer chunk by chunk (a copy of every file, measured at 6 %
 * of a trail replay). The next file is read and starts inflating before this one is parsed and
 * judged: on a second core, inflating overlaps the rest. At most two files are in memory.
 */
export async function* readInputFiles(path: string): AsyncGenerator<InputFile | UnreadableFile> {
  if (path === '-') {
    const bytes = await inflated(await readStdin(), '<stdin>');
    yield eventsOfBytes(bytes, '<stdin>');
    return;
  }
  const files = await filesUnder(path);
  let next = files.length > 0 ? readAhead(files[0] as string) : undefined;
  for (const [index, file] of files.entries()) {
    const read = await (next as ReadAhead);
    next = index + 1 < files.length ? readAhead(files[index + 1] as string) : undefined;
    let events: InputFile;
    try {
      if ('error' in read) throw read.error;
      events = eventsOfBytes(read.bytes, file);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      yield { location: file, error: error.message };
      continue;
    }
    yield events;
  }
}

/** `readInputFiles`, one event (or unreadable file) at a time. */
export async function* readInputs(path: string): AsyncGenerator<InputEvent | UnreadableFile> {
  for await (const file of readInputFiles(path)) {
    if ('error' in file) yield file;
    else for (const [index, value] of file.events.entries()) yield { location: file.where(index), value };
  }
}
