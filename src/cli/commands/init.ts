import type { Command } from 'commander';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../domain/users/password-policy.js';
import type { Initialized } from '../../main.js';
import { type DatabaseFlags, databaseConfig, databaseOptions } from '../database-options.js';
import { CliError } from '../errors.js';
import { emit } from '../output.js';
import { SecretInput, valueOrFile } from '../secret-input.js';

export const renderCredentials = (c: Initialized): string =>
  [
    `Keyhold initialised in ${c.database}`,
    c.masterKeyFile
      ? `  master key file: ${c.masterKeyFile} (back it up; without it the data is unreadable)`
      : '  master key: from KEYHOLD_MASTER_KEY',
    `  account:         ${c.accountName} (${c.accountId})`,
    `  owner:           ${c.ownerEmail}${c.ownerPassword ? `  password: ${c.ownerPassword}` : ''}`,
    `  admin token:     ${c.adminToken}`,
    'These credentials are shown once. Store them now.',
  ].join('\n');

function validated<T>(
  schema: {
    safeParse(
      v: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: { message: string }[] } };
  },
  value: unknown,
  flag: string,
): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new CliError(`${flag}: ${result.error.issues[0]?.message ?? 'invalid'}`);
  return result.data;
}

export function registerInit(program: Command): void {
  databaseOptions(
    program
      .command('init')
      .description(
        'create the database (SQLite in the data directory, or PostgreSQL with --database-url) with the master key, first account, its owner and an admin token',
      ),
  )
    .option('--account-name <name>', 'name of the first account', 'Default')
    .option('--admin-email <email>', 'email of the account owner', 'owner@keyhold.local')
    .option(
      '--admin-password <password>',
      `owner password (${MIN_PASSWORD_LENGTH}+ characters); generated and shown once when omitted; visible in the process list, prefer --admin-password-file`,
    )
    .option(
      '--admin-password-file <path>',
      'read the owner password from this file, or from standard input when PATH is - (one trailing newline is dropped)',
    )
    .option('--json', 'print the result as JSON')
    .action(
      async (
        opts: DatabaseFlags & {
          accountName: string;
          adminEmail: string;
          adminPassword?: string;
          adminPasswordFile?: string;
          json?: boolean;
        },
      ) => {
        const config = await databaseConfig(opts);
        // zod, loaded when init runs rather than whenever the CLI starts.
        const { displayName, emailAddress } = await import('../../domain/text.js');
        const ownerEmail = validated(emailAddress, opts.adminEmail, '--admin-email');
        const accountName = validated(displayName(200), opts.accountName, '--account-name');
        const password = await valueOrFile(
          new SecretInput(),
          '--admin-password',
          opts.adminPassword,
          opts.adminPasswordFile,
        );
        if (
          password !== undefined &&
          (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH)
        ) {
          throw new CliError(
            `--admin-password: must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`,
          );
        }
        // Loaded on demand: the server's modules (fastify, kysely, argon2) would slow every other command.
        const { initDataDir } = await import('../../main.js');
        const {
          storage,
          keyring: _keyring,
          ...result
        } = await initDataDir(config, {
          accountName,
          ownerEmail,
          ...(password === undefined ? {} : { ownerPassword: password }),
        });
        await storage.close();
        emit(result, opts, renderCredentials);
      },
    );
}
