import type { Kysely, Migration } from 'kysely';

/**
 * A person's display name (`users.name`): what the console shows beside their email and what an
 * OpenID Connect relying party is given as the `name` claim with the `profile` scope. Nullable:
 * users from before this migration, and those never given one, have none (the claim is then left
 * out, never sent empty). Checked by the service (domain/text.ts `personName`), not the schema.
 */
export const userNames: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('users').addColumn('name', 'text').execute();
  },
};
