import { untrustedCertificateHint } from '../http/certificate-hint.js';
import { CliError } from './errors.js';
import { type CliResponse, httpRequest } from './http.js';

/** The client id of the built-in CLI client, the same in every account. */
export const CLI_CLIENT_ID = 'keyhold-cli';

/** An answer of an authorization-server endpoint: its JSON body and status. */
export interface AsAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** POSTs a form to one of the account's OAuth endpoints (`token`, `revoke`, …). */
export async function postForm(
  addr: string,
  accountId: string,
  endpoint: string,
  form: Record<string, string>,
): Promise<AsAnswer> {
  const url = new URL(`/oauth/${encodeURIComponent(accountId)}/${endpoint}`, addr);
  let response: CliResponse;
  try {
    response = await httpRequest(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  } catch (error) {
    throw unreachable(url, error);
  }
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    body = { error: 'invalid_response', error_description: text.slice(0, 200) };
  }
  return { status: response.status, body };
}

export function unreachable(url: URL, error: unknown): CliError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  // fetch puts the system error in `cause`; node:http (uploads) throws it as it is.
  const reason =
    cause?.code ?? cause?.message ?? (error as { code?: string }).code ?? (error as Error).message;
  const hint = untrustedCertificateHint(reason) ?? 'is `keyhold serve` running there?';
  return new CliError(`cannot reach ${url.origin} (${reason}); ${hint}`);
}

/** `error: description` of an OAuth error answer. */
export const oauthProblem = (answer: AsAnswer) =>
  `${String(answer.body.error ?? answer.status)}${answer.body.error_description ? `: ${String(answer.body.error_description)}` : ''}`;
