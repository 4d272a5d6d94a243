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

export function sendPage(reply: FastifyReply, status: number, page: string): FastifyReply {
  return reply
    .status(status)
    .header('content-security-policy', PAGE_CSP)
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .type('text/html; charset=utf-8')
    .send(page);
}
