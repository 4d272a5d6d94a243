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

/** `keyhold account policy [--require-mfa on|off]`: the sign-in policy of the token's account. */
export function registerAccountPolicy(account: Command): void {
  remote(
    account
      .command('policy')
      .description("show or change the sign-in policy of the caller's account")
      .option('--require-mfa <on|off>', 'require every user to sign in with a second factor (TOTP)'),
  ).action(async (opts: RemoteOptions & { requireMfa?: string }) => {
    const client = clientFor(opts);
    type Policy = { requireMfa: boolean };
    let policy: Policy;
    if (opts.requireMfa === undefined) {
      policy = await client.request<Policy>('GET', 'account/policy');
    } else {
      const value = opts.requireMfa.trim().toLowerCase();
      if (value !== 'on' && value !== 'off') {
        throw new CliError(`--require-mfa must be on or off, got ${JSON.stringify(opts.requireMfa)}`);
      }
      policy = await client.request<Policy>('PUT', 'account/policy', { requireMfa: value === 'on' });
    }
    emit(policy, opts, (p) => `require MFA: ${p.requireMfa ? 'on' : 'off'}`);
  });
}
