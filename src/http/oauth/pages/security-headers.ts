import type { FastifyReply } from 'fastify';

/**
 * Headers of every login, consent and grants page (RFC 9700 §4.16, §4.2.4): no framing
 * (clickjacking), no referrer (codes and states must not leak), nothing loaded from anywhere but
 * this origin, and no script at all.
 *
 * `form-action` is left out on purpose: after the consent POST the browser follows a 303 to the
 * client's redirect URI, which browsers check against `form-action` and would block.
 */
export const PAGE_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Every page's headers, error pages included (`src/errors/page-format.ts`). */
export const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': PAGE_CSP,
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-type': 'text/html; charset=utf-8',
});

export function sendPage(reply: FastifyReply, status: number, page: string): FastifyReply {
  return reply.status(status).headers(PAGE_HEADERS).send(page);
}
