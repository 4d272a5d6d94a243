import { PAGE_HEADERS } from '../http/oauth/pages/security-headers.js';
import { errorPage } from '../http/oauth/pages/views.js';
import { type Formatter, shownMessage } from './wire.js';

/** What a person sees for a fault of ours: nothing of it, and what to do. */
const FAULT = 'Something went wrong on our side. Try again later.';

/** The pages people see (sign-in, consent, grants): an HTML page with the pages' headers. */
export const pageFormat: Formatter<string> = (error) => ({
  status: error.status,
  headers: PAGE_HEADERS,
  body: errorPage(
    error.status === 404 ? 'Not found' : 'Request refused',
    error.status >= 500 ? FAULT : shownMessage(error),
  ),
});
