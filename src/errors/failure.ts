import { toKeyholdError } from './normalise.js';
import type { Formatter, WireError } from './wire.js';

/** Where a fault is reported: the handler's logger, with its request's fields. */
export type FaultLog = (fields: { code: string; err: unknown }) => void;

/**
 * What every handler does with a thrown error: normalise it, log it if it is a fault of ours
 * (a 5xx; a caller's mistake is not worth a log line), and answer in the handler's wire family.
 * The log gets the cause, which the answer never carries.
 */
export function failure<Body>(error: unknown, format: Formatter<Body>, log: FaultLog): WireError<Body> {
  const normalised = toKeyholdError(error);
  if (normalised.status >= 500) log({ code: normalised.code, err: normalised.cause ?? error });
  return format(normalised);
}
