import { forbidden } from '../errors/app-error.js';
import type { RequestContext } from './context.js';

/**
 * Management actions (Connect servers, tokens, signing keys) need an account administrator:
 * an admin API token or the system itself. A Connect token can never get here — guarantee 5 of
 * the seed: a token cannot create, edit or revoke a token.
 */
export function requireAdministrator(ctx: RequestContext): void {
  if (ctx.actor.type !== 'admin_token' && ctx.actor.type !== 'system') {
    throw forbidden('this action needs an account administrator (an admin API token)');
  }
}
