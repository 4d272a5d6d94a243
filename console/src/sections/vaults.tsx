import { ItemHistory } from '../history/item-history.js';
import { VaultTrash } from '../history/trash.js';
import type { Section } from '../section.js';
import { ItemEdit, ItemNew } from '../vaults/item-form.js';
import { ItemView } from '../vaults/item-view.js';
import { VaultItems } from '../vaults/vault-items.js';
import { VaultList } from '../vaults/vault-list.js';

/** Vaults and their items: what every signed-in person can see (the API shows only theirs). */
export const vaults: Section = {
  order: 10,
  label: 'Vaults',
  path: '/vaults',
  routes: [
    { pattern: '/vaults', view: () => <VaultList /> },
    { pattern: '/vaults/:vaultId', view: (p) => <VaultItems vaultId={p.vaultId as string} /> },
    { pattern: '/vaults/:vaultId/new', view: (p) => <ItemNew vaultId={p.vaultId as string} /> },
    { pattern: '/vaults/:vaultId/trash', view: (p) => <VaultTrash vaultId={p.vaultId as string} /> },
    {
      pattern: '/vaults/:vaultId/items/:itemId',
      view: (p) => <ItemView vaultId={p.vaultId as string} itemId={p.itemId as string} />,
    },
    {
      pattern: '/vaults/:vaultId/items/:itemId/edit',
      view: (p) => <ItemEdit vaultId={p.vaultId as string} itemId={p.itemId as string} />,
    },
    {
      pattern: '/vaults/:vaultId/items/:itemId/history',
      view: (p) => <ItemHistory vaultId={p.vaultId as string} itemId={p.itemId as string} />,
    },
  ],
};
