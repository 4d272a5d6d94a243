import type { IncomingHttpHeaders } from 'node:http';
import type { ConnectCall, PresentedToken } from '../../connect-server/central/central-client.js';
import { bounded, MAX_USER_AGENT } from '../../domain/audit/bounds.js';
import { bearerToken } from '../bearer.js';

/** One Connect API request as a route handler sees it. */
export interface ConnectRequest {
  /** The request id, sent back as `x-request-id` and recorded in audit events. */
  id: string;
  method: string;
  /** The raw request target, query string included (filters are read from it as sent). */
  url: string;
  headers: IncomingHttpHeaders;
  params: Readonly<Record<string, string>>;
  query: Readonly<Record<string, string | string[]>>;
  /** The parsed body: JSON for JSON routes, a Buffer for upload routes, undefined when none came. */
  body: unknown;
  ip: string | null;
  /** The user vault API's token as presented (DPoP or Bearer); unset on a Connect listener. */
  presented?: PresentedToken;
}

/**
 * The call a route forwards to the central service. A missing token is forwarded as empty, not
 * refused here: the central service refuses it and records the DENY like any other. The
 * User-Agent is cut to what the audit trail keeps before it travels (a remote Connect server
 * sends it over RPC): a long one is truncated, never refused.
 */
export const connectCall = (request: ConnectRequest): ConnectCall => ({
  token: request.presented?.token ?? bearerToken(request) ?? '',
  requestId: request.id,
  ip: request.ip,
  userAgent: bounded(request.headers['user-agent'], MAX_USER_AGENT),
  ...(request.presented ? { presented: request.presented } : {}),
});

/** What a route answers; written by the dispatcher with the headers every response carries. */
export type ConnectReply =
  | { kind: 'json'; status: number; value: unknown; headers?: Record<string, string> }
  | { kind: 'bytes'; status: number; content: Buffer; headers: Readonly<Record<string, string>> }
  | { kind: 'empty'; status: number };

export const json = (value: unknown, status = 200, headers?: Record<string, string>): ConnectReply =>
  headers ? { kind: 'json', status, value, headers } : { kind: 'json', status, value };

/** The content type of every JSON answer. */
export const JSON_TYPE = 'application/json; charset=utf-8';

/** The headers of JSON a route has as bytes already (an item read, see domain/items/served.ts). */
export const JSON_CONTENT: Readonly<Record<string, string>> = Object.freeze({ 'content-type': JSON_TYPE });

/** Bytes with their own `content-type` (and any other headers) given by the route. */
export const bytes = (content: Buffer, headers: Readonly<Record<string, string>>): ConnectReply => ({
  kind: 'bytes',
  status: 200,
  content,
  headers,
});

export const noContent = (): ConnectReply => ({ kind: 'empty', status: 204 });
