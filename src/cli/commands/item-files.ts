import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { emit } from '../output.js';
import { resolveVaultItem } from '../resolve.js';
import { occupied, refuseOverwrite, writeSecretFile } from '../secret-file.js';
import type { FileView } from './item.js';
import { apiPath, clientFor, type RemoteOptions, remote } from './remote.js';

/** `keyhold item file …`: files attached to an item, uploaded and downloaded as they are. */
export function registerFiles(item: Command): void {
  const file = item.command('file').description('attach files to an item and download them');

  remote(
    file
      .command('add <vault> <item> <path>')
      .description('upload a file (its bytes, unchanged) and attach it to the item')
      .option('--name <name>', 'file name to store (default: the base name of PATH)'),
  ).action(
    async (vaultQuery: string, itemQuery: string, path: string, opts: RemoteOptions & { name?: string }) => {
      let content: Buffer;
      try {
        content = readFileSync(path);
      } catch (error) {
        throw new CliError(
          `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        );
      }
      const name = opts.name ?? basename(path);
      const client = clientFor(opts);
      const { vault, item: ref } = await resolveVaultItem(client, vaultQuery, itemQuery);
      const added = await client.request<FileView>(
        'POST',
        apiPath('vaults', vault.id, 'items', ref.id, 'files'),
        content,
        {
          name,
        },
      );
      emit(added, opts, (f) => `File ${f.name} (${f.id}, ${f.size} bytes) added`);
    },
  );

  remote(
    file
      .command('get <vault> <item> <file>')
      .description(
        'download a file: to --out PATH (created with mode 0600), else raw to stdout; with --json, its metadata plus base64 "content" (or "savedTo" with --out)',
      )
      .option(
        '--out <path>',
        'write the content to this new file (mode 0600); an existing one is kept unless --force',
      )
      .option('--force', 'with --out, replace the file if it exists'),
  ).action(
    async (
      vaultQuery: string,
      itemQuery: string,
      fileId: string,
      opts: RemoteOptions & { out?: string; force?: boolean },
    ) => {
      // Refused before the download, so nothing is read (and audited) for a file that cannot be saved.
      if (opts.out !== undefined && !opts.force && occupied(opts.out)) throw refuseOverwrite(opts.out);
      const client = clientFor(opts);
      const { vault, item: ref } = await resolveVaultItem(client, vaultQuery, itemQuery);
      const base = apiPath('vaults', vault.id, 'items', ref.id, 'files', fileId);
      const content = await client.request<Buffer>('GET', `${base}/content`);
      if (opts.out !== undefined) {
        try {
          // The content is a secret: readable by its owner only.
          writeSecretFile(opts.out, content, opts.force === true);
        } catch (error) {
          if (error instanceof CliError) throw error;
          throw new CliError(
            `cannot write ${opts.out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
          );
        }
      }
      if (opts.json) {
        const meta = await client.request<FileView>('GET', base);
        const extra =
          opts.out === undefined ? { content: content.toString('base64') } : { savedTo: opts.out };
        emit({ ...meta, ...extra }, opts, () => '');
      } else if (opts.out !== undefined) {
        process.stdout.write(`Wrote ${content.length} bytes to ${opts.out}\n`);
      } else {
        process.stdout.write(content);
      }
    },
  );
}
