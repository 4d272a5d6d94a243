import { AppError, badRequest } from '../../errors/app-error.js';
import type { RequestContext } from '../context.js';
import type { ItemService } from '../items/item-service.js';
import type { VaultService } from '../vaults/vault-service.js';
import { detailScopes, type VaultAuthorizationDetail } from './authorization-details.js';

/** One requested authorization detail as the consent page shows it (RFC 9396 §3, in words). */
export interface DetailConsent {
  /** The value of its checkbox: the entry's position in the request. */
  index: number;
  /** What approving it allows, in the user's own vault and item names. */
  words: string;
  /** Whether the user can approve it: every vault and item it names is theirs to share. */
  approvable: boolean;
  /** Whether it reads secret values (the page says so, as it does for read scopes). */
  reads: boolean;
}

/**
 * Said of an entry the user cannot approve, whatever the reason — a vault or item that does not
 * exist, is someone else's, or that they may not read or write as asked — so the page never tells
 * which of those it is: a client cannot learn of a vault or item through a user's consent page.
 */
export const NOT_APPROVABLE =
  'Access to something you cannot share: it names a vault or item that you do not have, or an action you may not take there.';

/**
 * What the consent page asks about the request's authorization details: each entry in words,
 * with the user's vault and item names, approvable only when the user may do each action in each
 * vault it names (as a scope's vault choices are), and each item it names is in that vault.
 */
export async function planDetails(
  services: { vaults: Pick<VaultService, 'list'>; items: Pick<ItemService, 'list' | 'get'> },
  userCtx: RequestContext,
  details: readonly VaultAuthorizationDetail[],
): Promise<DetailConsent[]> {
  const principal = userCtx.principal;
  const access = principal.kind === 'user' ? principal.vaults : new Map();
  const names = new Map((await services.vaults.list(userCtx)).map((v) => [v.id, v.name]));
  const titles = new Map<string, Map<string, string>>();
  const itemTitles = async (vaultId: string) => {
    let found = titles.get(vaultId);
    if (!found) {
      found = new Map((await services.items.list(userCtx, vaultId)).map((i) => [i.id, i.title]));
      titles.set(vaultId, found);
    }
    return found;
  };
  const plans: DetailConsent[] = [];
  for (const [index, detail] of details.entries()) {
    const reads = detail.actions.includes('read');
    const may = (vaultId: string) => {
      const held = access.get(vaultId);
      return (
        names.has(vaultId) &&
        held !== undefined &&
        detail.actions.every((a) => held.has(a) || held.has('manage'))
      );
    };
    if (!detail.vaults.every(may)) {
      plans.push({ index, words: NOT_APPROVABLE, approvable: false, reads });
      continue;
    }
    const vaultNames = detail.vaults.map((id) => names.get(id) as string);
    let items: string[] | undefined;
    if (detail.items) {
      // Titles come from the item list, which needs read: items of a vault the user may only
      // write to cannot be named, so such an entry is not offered.
      const vaultId = detail.vaults[0] as string;
      const held = access.get(vaultId);
      const inVault = held?.has('read') || held?.has('manage') ? await itemTitles(vaultId) : new Map();
      if (!detail.items.every((id) => inVault.has(id))) {
        plans.push({ index, words: NOT_APPROVABLE, approvable: false, reads });
        continue;
      }
      items = detail.items.map((id) => inVault.get(id) as string);
    }
    let fields: string[] | undefined;
    if (detail.fields && detail.items) {
      fields = await fieldLabels(
        services.items,
        userCtx,
        detail.vaults[0] as string,
        detail.items,
        detail.fields,
      );
      if (!fields) {
        plans.push({ index, words: NOT_APPROVABLE, approvable: false, reads });
        continue;
      }
    }
    plans.push({ index, words: inWords(detail.actions, vaultNames, items, fields), approvable: true, reads });
  }
  return plans;
}

/**
 * The labels of the named fields, as the user knows them (a field without a label by its id),
 * each label once; undefined when a named field is not in every named item (the entry is then
 * not approvable: the user approves fields they can see). Reading the items to learn the labels
 * is the user's own read, audited as any.
 */
async function fieldLabels(
  items: Pick<ItemService, 'get'>,
  userCtx: RequestContext,
  vaultId: string,
  itemIds: readonly string[],
  fieldIds: readonly string[],
): Promise<string[] | undefined> {
  const labels = new Set<string>();
  let held: Awaited<ReturnType<ItemService['get']>>[];
  try {
    held = await Promise.all(itemIds.map((itemId) => items.get(userCtx, vaultId, itemId)));
  } catch (error) {
    // Trashed or made unreadable since the item list was read: not approvable, as then.
    if (error instanceof AppError && (error.status === 404 || error.status === 403)) return undefined;
    throw error;
  }
  for (const fieldId of fieldIds) {
    for (const item of held) {
      const field = item.fields.find((f) => f.id === fieldId);
      if (!field) return undefined;
      labels.add(field.label === '' ? fieldId : field.label);
    }
  }
  return [...labels];
}

/**
 * The entries of the request the form approved: refused (400) when it names one the page did
 * not offer, as a scope it did not offer is.
 */
export function chosenDetails(
  details: readonly VaultAuthorizationDetail[],
  plans: readonly DetailConsent[],
  selected: readonly string[],
): VaultAuthorizationDetail[] {
  const chosen = new Set<number>();
  for (const value of selected) {
    const plan = plans.find((p) => String(p.index) === value);
    if (!plan?.approvable)
      throw badRequest(`authorization detail ${value} was not offered on this consent page`);
    chosen.add(plan.index);
  }
  return details.filter((_, index) => chosen.has(index));
}

/** The one-vault scopes every entry of the request stands for: what its consent answers. */
export const offeredDetailScopes = (details: readonly VaultAuthorizationDetail[] | undefined) =>
  new Set(detailScopes(details ?? []));

const quoted = (name: string) => `'${name}'`;
const list = (names: string[]) =>
  names.length === 1
    ? quoted(names[0] as string)
    : `${names.slice(0, -1).map(quoted).join(', ')} and ${quoted(names.at(-1) as string)}`;

/**
 * "Read the item 'DB password' in vault 'Production'", "Read only the field 'password' of the
 * item 'DB password' in vault 'Production'", and the like.
 */
export function inWords(
  actions: readonly ('read' | 'write')[],
  vaults: string[],
  items: string[] | undefined,
  fields?: string[],
): string {
  const where = `in ${vaults.length === 1 ? 'vault' : 'vaults'} ${list(vaults)}`;
  if (fields && items) {
    // Fields narrow a read only (authorization-details.ts).
    const named = `${fields.length === 1 ? 'the field' : 'the fields'} ${list(fields)}`;
    return `Read only ${named} of ${items.length === 1 ? 'the item' : 'the items'} ${list(items)} ${where}; no other field, note, URL or file of ${items.length === 1 ? 'it' : 'them'}`;
  }
  const read = actions.includes('read');
  const write = actions.includes('write');
  const verb = items
    ? read && write
      ? 'Read, change and delete'
      : read
        ? 'Read'
        : 'Change and delete'
    : read && write
      ? 'Read, create, change and delete'
      : read
        ? 'Read'
        : 'Create, change and delete';
  const what = items ? `${items.length === 1 ? 'the item' : 'the items'} ${list(items)}` : `every item`;
  return `${verb} ${what} ${where}`;
}
