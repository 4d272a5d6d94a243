import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { emit } from '../output.js';
import { resolveUser } from '../resolve.js';
import { apiPath, clientFor, type RemoteOptions, remote } from './remote.js';

interface User {
  id: string;
  email: string;
}

/** A user by email or id (resolve.ts). */
const userByEmail = (opts: RemoteOptions, query: string): Promise<User> =>
  resolveUser(clientFor(opts), query) as Promise<User>;

/** `keyhold user mfa EMAIL` and `keyhold user reset-mfa EMAIL`: a user's second factor. */
export function registerUserMfa(user: Command): void {
  remote(
    user.command('mfa <email>').description("show whether a user's two-step sign-in (TOTP) is on"),
  ).action(async (email: string, opts: RemoteOptions) => {
    const found = await userByEmail(opts, email);
    type Status = { userId: string; enabled: boolean; recoveryCodesLeft: number };
    const status = await clientFor(opts).request<Status>('GET', apiPath('users', found.id, 'mfa'));
    emit(status, opts, (s) =>
      s.enabled
        ? `${found.email}: two-step sign-in on, ${s.recoveryCodesLeft} unused recovery codes`
        : `${found.email}: two-step sign-in off`,
    );
  });

  remote(
    user
      .command('reset-mfa <email>')
      .description(
        "remove a user's TOTP and recovery codes (a lost phone); they sign in with the password, or enrol again where the account requires it",
      ),
  ).action(async (email: string, opts: RemoteOptions) => {
    const found = await userByEmail(opts, email);
    const reset = await clientFor(opts).request<{ userId: string; removed: boolean }>(
      'DELETE',
      apiPath('users', found.id, 'mfa'),
    );
    emit(reset, opts, (r) =>
      r.removed
        ? `Two-step sign-in of ${found.email} reset`
        : `${found.email} had no two-step sign-in; nothing to reset`,
    );
  });
}

/**
 * `keyhold account policy [--require-mfa on|off] [--require-par on|off]`: the sign-in policy of
 * the token's account.
 */
export function registerAccountPolicy(account: Command): void {
  remote(
    account
      .command('policy')
      .description("show or change the sign-in policy of the caller's account")
      .option('--require-mfa <on|off>', 'require every user to sign in with a second factor (TOTP)')
      .option(
        '--require-par <on|off>',
        'require OAuth clients to push their authorization requests first (RFC 9126)',
      ),
  ).action(async (opts: RemoteOptions & { requireMfa?: string; requirePar?: string }) => {
    const client = clientFor(opts);
    type Policy = { requireMfa: boolean; requirePushedAuthorizationRequests: boolean };
    const change: Partial<Policy> = {};
    if (opts.requireMfa !== undefined) change.requireMfa = onOff('--require-mfa', opts.requireMfa);
    if (opts.requirePar !== undefined) {
      change.requirePushedAuthorizationRequests = onOff('--require-par', opts.requirePar);
    }
    const policy =
      Object.keys(change).length === 0
        ? await client.request<Policy>('GET', 'account/policy')
        : await client.request<Policy>('PUT', 'account/policy', change);
    emit(
      policy,
      opts,
      (p) =>
        `require MFA: ${p.requireMfa ? 'on' : 'off'}\nrequire PAR: ${p.requirePushedAuthorizationRequests ? 'on' : 'off'}`,
    );
  });
}

function onOff(option: string, given: string): boolean {
  const value = given.trim().toLowerCase();
  if (value !== 'on' && value !== 'off') {
    throw new CliError(`${option} must be on or off, got ${JSON.stringify(given)}`);
  }
  return value === 'on';
}
