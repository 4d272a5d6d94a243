import type { Command } from 'commander';
import type { WhoAmI } from '../../domain/accounts/whoami.js';
import { AdminClient, adminBase, DEFAULT_ADDR } from '../client.js';
import { credentialsPath, deleteCredentials, readCredentials, writeCredentials } from '../credentials.js';
import { CliError } from '../errors.js';
import { httpRequest } from '../http.js';
import { emit, type OutputOptions } from '../output.js';
import { CLI_CLIENT_ID, oauthProblem, postForm, unreachable } from '../sign-in.js';
import { clientFor, type RemoteOptions, remote } from './remote.js';

const sleep = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

/** `whoami` (and `login`) in words: who the CLI acts as. */
export const describeCaller = (w: WhoAmI) =>
  w.kind === 'user'
    ? `user ${w.user?.name ? `${w.user.name} <${w.user.email}>` : (w.user?.email ?? w.tokenId)} (role ${w.role}) in account ${w.accountId}`
    : w.kind === 'admin_token'
      ? `admin token ${w.token?.name ?? ''} (${w.tokenId}, role ${w.role}) in account ${w.accountId}`
      : `a caller of account ${w.accountId}`;

/**
 * The account to sign in to: `--account`, else KEYHOLD_ACCOUNT, else the one the service
 * names for the CLI (its operator account, `/.well-known/keyhold-cli`).
 */
async function accountFor(addr: string, account: string | undefined): Promise<string> {
  const chosen = account ?? process.env.KEYHOLD_ACCOUNT;
  if (chosen) return chosen;
  const url = new URL('/.well-known/keyhold-cli', addr);
  let body: { accountId?: unknown } = {};
  try {
    const response = await httpRequest(url);
    if (response.ok) body = (await response.json()) as { accountId?: unknown };
  } catch (error) {
    throw unreachable(url, error);
  }
  if (typeof body.accountId !== 'string') {
    throw new CliError(`${url.origin} names no default account: pass --account ID or set KEYHOLD_ACCOUNT`);
  }
  return body.accountId;
}

/** `keyhold login`, `keyhold logout`, `keyhold whoami`: the CLI acting as a person. */
export function registerLogin(program: Command): void {
  program
    .command('login')
    .description(
      'sign in as a user through the browser (OAuth device flow); later commands act as that user until `keyhold logout`',
    )
    .option('--addr <url>', `central service address (env KEYHOLD_ADDR, default ${DEFAULT_ADDR})`)
    .option(
      '--account <id>',
      "account to sign in to (env KEYHOLD_ACCOUNT; default: the service's operator account)",
    )
    .option('--json', 'print the result as JSON instead of text')
    .action(async (opts: OutputOptions & { addr?: string; account?: string }) => {
      const addr = new URL(adminBase(opts.addr ?? process.env.KEYHOLD_ADDR ?? DEFAULT_ADDR)).origin;
      const accountId = await accountFor(addr, opts.account);
      const started = await postForm(addr, accountId, 'device_authorization', { client_id: CLI_CLIENT_ID });
      const device = started.body as {
        device_code?: string;
        user_code?: string;
        verification_uri?: string;
        verification_uri_complete?: string;
        expires_in?: number;
        interval?: number;
      };
      if (started.status !== 200 || !device.device_code) {
        throw new CliError(
          `${addr} refused to start a sign-in for account ${accountId} (${oauthProblem(started)})`,
        );
      }
      // Standard error: standard output stays the result alone (for --json).
      process.stderr.write(
        `To sign in, open ${device.verification_uri} and enter the code ${device.user_code}\n` +
          `(or open ${device.verification_uri_complete} and check that it shows the same code).\n` +
          `Waiting for approval (the code expires in ${Math.round((device.expires_in ?? 600) / 60)} minutes)...\n`,
      );
      let interval = device.interval ?? 5;
      for (;;) {
        await sleep(interval);
        const answer = await postForm(addr, accountId, 'token', {
          grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
          device_code: device.device_code,
          client_id: CLI_CLIENT_ID,
        });
        const { access_token, refresh_token, expires_in, error } = answer.body;
        if (answer.status === 200 && typeof access_token === 'string' && typeof refresh_token === 'string') {
          writeCredentials(credentialsPath(), {
            addr,
            accountId,
            accessToken: access_token,
            refreshToken: refresh_token,
            expiresAt: new Date(Date.now() + Number(expires_in) * 1000).toISOString(),
          });
          break;
        }
        if (error === 'authorization_pending') continue;
        if (error === 'slow_down') {
          interval += 5;
          continue;
        }
        if (error === 'access_denied') throw new CliError('the sign-in was denied in the browser');
        if (error === 'expired_token')
          throw new CliError('the code expired before it was approved; run `keyhold login` again');
        throw new CliError(`the sign-in failed (${oauthProblem(answer)})`);
      }
      // The sign-in just stored, at the address it was made at: not KEYHOLD_TOKEN (which would
      // take precedence) nor KEYHOLD_ADDR (which --addr may differ from).
      const who = await new AdminClient(
        { addr },
        { ...process.env, KEYHOLD_TOKEN: undefined },
      ).request<WhoAmI>('GET', 'whoami');
      emit(who, opts, (w) => `Signed in to ${addr} as ${describeCaller(w)}`);
    });

  program
    .command('logout')
    .description('end the CLI sign-in: revoke its tokens at the service and delete the stored credentials')
    .option('--json', 'print the result as JSON instead of text')
    .action(async (opts: OutputOptions) => {
      const file = credentialsPath();
      const credentials = readCredentials(file);
      if (!credentials) {
        emit({ signedOut: false }, opts, () => 'Not signed in');
        return;
      }
      let revoked = true;
      try {
        const answer = await postForm(credentials.addr, credentials.accountId, 'revoke', {
          token: credentials.refreshToken,
          token_type_hint: 'refresh_token',
          client_id: CLI_CLIENT_ID,
        });
        revoked = answer.status === 200;
      } catch {
        revoked = false;
      }
      deleteCredentials(file);
      if (!revoked) {
        process.stderr.write(
          `keyhold: warning: ${credentials.addr} did not confirm the revocation; the stored tokens are deleted, and the sign-in ends when its refresh token is unused for 30 days or its grant is revoked\n`,
        );
      }
      emit({ signedOut: true, revoked }, opts, () => `Signed out of ${credentials.addr}`);
    });

  remote(
    program.command('whoami').description('show who the CLI acts as: the signed-in user, or the admin token'),
  ).action(async (opts: RemoteOptions) => {
    const who = await clientFor(opts).request<WhoAmI>('GET', 'whoami');
    emit(who, opts, describeCaller);
  });
}
