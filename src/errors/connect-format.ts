import type { Formatter } from './wire.js';
import { shownMessage } from './wire.js';

/** Connect's error body, which the official SDKs reject with as is: `{status, message}`. */
export interface ConnectErrorBody {
  status: number;
  message: string;
}

/** The Connect API, on a Connect listener and as `/api/v1` on the central service. */
export const connectFormat: Formatter<ConnectErrorBody> = (error) => ({
  status: error.status,
  body: { status: error.status, message: shownMessage(error) },
});
