import type { IncomingHttpHeaders } from 'node:http';

/** The secret of an `Authorization: Bearer …` header, or undefined. */
export function bearerToken(request: { headers: IncomingHttpHeaders }): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer +([^\s]+) *$/i.exec(header);
  return match?.[1];
}
