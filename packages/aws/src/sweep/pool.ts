/** Runs `fn` over `items` with at most `limit` at a time; results in input order. `fn` must not reject. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/**
 * Consumes an async source (a describer paging through live state) with at most `limit` items in
 * flight: the next page is read only while there is room, so memory and API rate stay bounded.
 * `fn` must not reject. When the source throws, the items in flight still finish first.
 */
export async function forEachBounded<T>(
  source: AsyncIterable<T>,
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const running = new Set<Promise<void>>();
  try {
    for await (const item of source) {
      const task: Promise<void> = fn(item).finally(() => running.delete(task));
      running.add(task);
      if (running.size >= limit) await Promise.race(running);
    }
  } finally {
    await Promise.allSettled(running);
  }
}
