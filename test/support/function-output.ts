import { vi } from 'vitest';

/** One embedded-metric-format line (CloudWatch turns it into metrics). */
export interface EmfLine {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [field: string]: unknown;
}

/** One Powertools Logger line. */
export type LogLine = Record<string, unknown> & { message: string; level: string };

const linesOf = (written: string[]) => written.flatMap((chunk) => chunk.split('\n'));

/** The embedded-metric-format lines among what a function wrote to stdout. */
export function emfLines(written: string[]): EmfLine[] {
  return linesOf(written)
    .filter((line) => line.startsWith('{"_aws"'))
    .map((line) => JSON.parse(line) as EmfLine);
}

/** Each metric as `namespace/name{dimension=value,…} value unit`, the way CloudWatch will file it. */
export function metricsOf(lines: EmfLine[]): string[] {
  return lines.flatMap((line) =>
    line._aws.CloudWatchMetrics.flatMap((directive) =>
      directive.Metrics.map((metric) => {
        const [dimensions = []] = directive.Dimensions;
        const labels = dimensions.map((name) => `${name}=${String(line[name])}`).join(',');
        return `${directive.Namespace}/${metric.Name}{${labels}} ${JSON.stringify(line[metric.Name])} ${metric.Unit}`;
      }),
    ),
  );
}

/** The structured (Powertools) log lines among what a function wrote to stdout and stderr. */
export function logLines(written: string[]): LogLine[] {
  return linesOf(written)
    .filter((line) => line.startsWith('{') && line.includes('"level"'))
    .map((line) => JSON.parse(line) as LogLine);
}

/**
 * Runs `work` with stdout and stderr captured (not printed), and returns what was written. The
 * spies are restored afterwards, even when `work` throws.
 */
export async function captureOutput<T>(work: () => Promise<T>): Promise<{ result: T; written: string[] }> {
  const written: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }),
  );
  try {
    return { result: await work(), written };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}
