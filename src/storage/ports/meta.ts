/** Storage ports: Key-value facts about the database itself. */

/** The `meta` key of an upgrade to item heads that a start with the master key has yet to do. */
export const ITEM_HEADS_PENDING = 'item_heads_pending';

export interface MetaStore {
  get(key: string): Promise<string | undefined>;
  insert(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}
