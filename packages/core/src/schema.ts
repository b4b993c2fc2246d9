import type * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * Schemas are written with `zod/mini` (the same engine as classic zod, a third of its bundle at the
 * Lambda's cold start). It ships no messages of its own: every parse goes through here, with
 * classic zod's English ones, so what users read in config errors and dead-letter reasons is
 * worded as before. Passed per parse rather than set globally: core has no import side effects.
 */
const english = en().localeError;

/** `schema.safeParse(input)` with English messages for the issues the schema does not word itself. */
export function safeParseWithMessages<Schema extends z.ZodMiniType>(
  schema: Schema,
  input: unknown,
): z.core.util.SafeParseResult<z.output<Schema>> {
  return schema.safeParse(input, { error: english });
}
