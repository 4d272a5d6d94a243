import { afterAll, beforeAll } from 'vitest';
import { openPostgres } from '../../src/storage/postgres/open.js';
import { databaseName, type PostgresCluster, startPostgres } from '../helpers/postgres.js';
import { concurrencyContract } from './concurrency-contract.js';
import { oauthStorageContract } from './oauth-storage-contract.js';
import { storageContract } from './storage-contract.js';

let pg: PostgresCluster;
let migrated: string;
beforeAll(async () => {
  pg = await startPostgres();
  // Text collated as on a production cluster made with a language's locale, not the test
  // cluster's C locale: nothing may depend on the cluster sorting text byte by byte.
  const url = await pg.createDatabase({ icuLocale: 'en-US' });
  // Migrated once, from empty; each test gets a copy (opening it finds nothing left to migrate).
  await (await openPostgres(url)).close();
  migrated = databaseName(url);
}, 120_000);
afterAll(() => pg?.stop());

const copy = () => pg.createDatabase({ template: migrated });
const open = async () => openPostgres(await copy());
storageContract('postgres', open);
oauthStorageContract('postgres', open);
// Several pools on one database: several central nodes. Small pools, so that the nodes' many
// parallel calls also wait for connections, as a loaded node's do.
concurrencyContract('postgres', async (count) => {
  const url = await copy();
  return Promise.all(Array.from({ length: count }, () => openPostgres(url, { poolSize: 4 })));
});
