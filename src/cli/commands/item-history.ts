import type { Command } from 'commander';
import { pickByNameOrId } from '../name-or-id.js';
import { emit, table } from '../output.js';
import { resolveItem, resolveTrashedItem, resolveVault, resolveVaultItem } from '../resolve.js';
import { apiPath, clientFor, integerFlag, type RemoteOptions, remote } from './remote.js';

/** What the history and trash commands read of an item (`--json` prints all of it). */
interface VersionField {
  id: string;
  type: string;
  purpose?: string;
  label: string;
  value?: string;
  section?: { id: string };
}
interface VersionItem {
  id: string;
  title: string;
  version: number;
  category: string;
  tags?: string[];
  urls?: { href: string }[];
  fields?: VersionField[];
}
interface Version {
  version: number;
  title: string;
  createdAt: string;
  editedBy: string;
}
interface Trashed {
  id: string;
  title: string;
  category: string;
  version: number;
  deletedAt: string;
  deletedBy: string;
}

/** A change between two versions of an item: what, and the values unless they are secret. */
export interface Change {
  what: string;
  kind: 'added' | 'removed' | 'changed';
  from?: string;
  to?: string;
}

const isSecret = (f: VersionField) => f.type === 'CONCEALED' || f.type === 'OTP' || f.purpose === 'PASSWORD';

/**
 * What changed from `before` to `after`, field by field (matched by id). A secret value is named
 * as changed, never shown, unless `reveal`.
 */
export function diffVersions(before: VersionItem, after: VersionItem, reveal: boolean): Change[] {
  const changes: Change[] = [];
  const plain = (what: string, from: string, to: string) => {
    if (from !== to) changes.push({ what, kind: 'changed', from, to });
  };
  plain('title', before.title, after.title);
  plain('category', before.category, after.category);
  plain('tags', (before.tags ?? []).join(', '), (after.tags ?? []).join(', '));
  plain(
    'urls',
    (before.urls ?? []).map((u) => u.href).join(', '),
    (after.urls ?? []).map((u) => u.href).join(', '),
  );
  const old = new Map((before.fields ?? []).map((f) => [f.id, f]));
  const shown = (f: VersionField) => (isSecret(f) && !reveal ? undefined : (f.value ?? ''));
  for (const f of after.fields ?? []) {
    const was = old.get(f.id);
    old.delete(f.id);
    const name = `field ${f.label || f.id}`;
    const to = shown(f);
    if (!was) {
      changes.push({ what: name, kind: 'added', ...(to === undefined ? {} : { to }) });
      continue;
    }
    if (was.label !== f.label)
      changes.push({ what: `field ${f.id} label`, kind: 'changed', from: was.label, to: f.label });
    if (was.type !== f.type)
      changes.push({ what: `${name} type`, kind: 'changed', from: was.type, to: f.type });
    if ((was.value ?? '') !== (f.value ?? '')) {
      const from = shown(was);
      changes.push({
        what: name,
        kind: 'changed',
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
      });
    }
  }
  for (const f of old.values()) {
    const from = shown(f);
    changes.push({
      what: `field ${f.label || f.id}`,
      kind: 'removed',
      ...(from === undefined ? {} : { from }),
    });
  }
  return changes;
}

const oneLine = (text: string) => text.replace(/\r?\n/g, '\\n');
const describe = (c: Change) => {
  if (c.kind === 'added') return `  + ${c.what}${c.to === undefined ? ' (concealed)' : `: ${oneLine(c.to)}`}`;
  if (c.kind === 'removed')
    return `  - ${c.what}${c.from === undefined ? ' (concealed)' : `: ${oneLine(c.from)}`}`;
  if (c.from === undefined || c.to === undefined) return `  ~ ${c.what} changed (concealed)`;
  return `  ~ ${c.what}: ${oneLine(c.from)} -> ${oneLine(c.to)}`;
};

/**
 * `keyhold item history|restore|undelete|trash`: an item's versions and what changed between
 * them, restoring one, and the vault's trash.
 */
export function registerItemHistory(item: Command): void {
  remote(
    item
      .command('history <vault> <item>')
      .description(
        "list an item's versions, newest first (who and when); --diff reads every version (each an audited read) and shows what changed from the one before, field by field",
      )
      .option(
        '--diff',
        'show what changed in each version; concealed values show as changed, not their values',
      )
      .option('--reveal', 'with --diff: show concealed values too'),
  ).action(
    async (
      vaultQuery: string,
      itemQuery: string,
      opts: RemoteOptions & { diff?: boolean; reveal?: boolean },
    ) => {
      const client = clientFor(opts);
      const { vault: v, item: ref } = await resolveVaultItem(client, vaultQuery, itemQuery);
      const vault = v.id;
      const id = ref.id;
      const versions = await client.request<Version[]>(
        'GET',
        apiPath('vaults', vault, 'items', id, 'versions'),
      );
      if (!opts.diff) {
        emit(versions, opts, (list) =>
          table(
            ['VERSION', 'TITLE', 'CREATED', 'EDITED BY'],
            list.map((v) => [v.version, v.title, v.createdAt, v.editedBy]),
          ),
        );
        return;
      }
      const items = new Map<number, VersionItem>();
      for (const v of versions) {
        items.set(
          v.version,
          await client.request<VersionItem>(
            'GET',
            apiPath('vaults', vault, 'items', id, 'versions', String(v.version)),
          ),
        );
      }
      const diffs = versions.map((v) => {
        const now = items.get(v.version) as VersionItem;
        const before = items.get(v.version - 1);
        return { ...v, changes: before ? diffVersions(before, now, opts.reveal === true) : [] };
      });
      emit(diffs, opts, (list) =>
        list
          .map((v) =>
            [
              `version ${v.version}  ${v.createdAt}  by ${v.editedBy}`,
              ...(v.version === 1
                ? ['  (created)']
                : v.changes.length
                  ? v.changes.map(describe)
                  : ['  (no change)']),
            ].join('\n'),
          )
          .join('\n\n'),
      );
    },
  );

  remote(
    item
      .command('restore <vault> <item>')
      .description(
        "store an older version's content as the item's next version (history is kept; files are not versioned and stay as they are)",
      )
      .requiredOption('--version <n>', 'the version to restore (see item history)')
      .option(
        '--if-version <n>',
        'refuse (409) unless the item is still at this version, so a change made meanwhile is not overwritten unseen',
      ),
  ).action(
    async (
      vaultQuery: string,
      itemQuery: string,
      opts: RemoteOptions & { version: string; ifVersion?: string },
    ) => {
      const client = clientFor(opts);
      const { vault, item: ref } = await resolveVaultItem(client, vaultQuery, itemQuery);
      const version = integerFlag('--version', opts.version, 1, 999_999_999);
      const body =
        opts.ifVersion === undefined
          ? {}
          : { currentVersion: integerFlag('--if-version', opts.ifVersion, 1, 999_999_999) };
      const restored = await client.request<VersionItem>(
        'POST',
        apiPath('vaults', vault.id, 'items', ref.id, 'versions', String(version), 'restore'),
        body,
      );
      emit(
        restored,
        opts,
        (i) => `Item ${i.id} restored from version ${version}: now at version ${i.version}`,
      );
    },
  );

  remote(
    item
      .command('undelete <vault> <item>')
      .description("take an item out of the vault's trash, as it was when deleted"),
  ).action(async (vaultQuery: string, itemQuery: string, opts: RemoteOptions) => {
    const client = clientFor(opts);
    const vault = await resolveVault(client, vaultQuery);
    const ref = await resolveTrashedItem(client, vault.id, itemQuery);
    const back = await client.request<VersionItem>(
      'POST',
      apiPath('vaults', vault.id, 'trash', ref.id, 'undelete'),
    );
    emit(back, opts, (i) => `Item ${i.id} undeleted (version ${i.version})`);
  });

  remote(
    item
      .command('trash <vault>')
      .description(
        "list the vault's trash: deleted items, most recently deleted first (undelete with item undelete, delete for good with item delete --permanent)",
      ),
  ).action(async (vaultQuery: string, opts: RemoteOptions) => {
    const client = clientFor(opts);
    const vault = await resolveVault(client, vaultQuery);
    const trashed = await client.request<Trashed[]>('GET', apiPath('vaults', vault.id, 'trash'));
    emit(trashed, opts, (list) =>
      table(
        ['ID', 'TITLE', 'CATEGORY', 'VERSION', 'DELETED', 'DELETED BY'],
        list.map((i) => [i.id, i.title, i.category, i.version, i.deletedAt, i.deletedBy]),
      ),
    );
  });
}

/**
 * `keyhold item delete V ITEM [--permanent]`: to the trash, or for good (an item in the trash or
 * not).
 */
export function registerItemDelete(item: Command): void {
  remote(
    item
      .command('delete <vault> <item>')
      .description(
        "move an item to the vault's trash (it can be undeleted); with --permanent, delete it with its history and files for good, from the trash or not",
      )
      .option('--permanent', 'delete for good: no undelete'),
  ).action(async (vaultQuery: string, itemQuery: string, opts: RemoteOptions & { permanent?: boolean }) => {
    const client = clientFor(opts);
    const vault = await resolveVault(client, vaultQuery);
    if (!opts.permanent) {
      const { id, title } = await resolveItem(client, vault.id, itemQuery);
      await client.request('DELETE', apiPath('vaults', vault.id, 'items', id));
      emit(
        { id, trashed: true },
        opts,
        () =>
          `Item ${title === id ? id : `${title} (${id})`} moved to the trash (keyhold item undelete ${vault.id} ${id} brings it back)`,
      );
      return;
    }
    // For good: an item in the trash (by title or id), else one in the vault.
    const trash = await client.request<Trashed[]>('GET', apiPath('vaults', vault.id, 'trash'));
    const inTrash = trash.filter((t) => t.id === itemQuery || t.title === itemQuery);
    let id: string;
    if (inTrash.length > 0) {
      id = pickByNameOrId(
        inTrash.map((t) => ({ id: t.id, name: t.title })),
        itemQuery,
        'item in the trash',
      ).id;
      await client.request('DELETE', apiPath('vaults', vault.id, 'trash', id));
    } else {
      id = (await resolveItem(client, vault.id, itemQuery)).id;
      await client.request('DELETE', `${apiPath('vaults', vault.id, 'items', id)}?permanent=true`);
    }
    emit({ id, deleted: true }, opts, () => `Item ${id} deleted permanently`);
  });
}
