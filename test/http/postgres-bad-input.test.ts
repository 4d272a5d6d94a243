import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/storage/postgres/open.js';
import { type PostgresCluster, startPostgres } from '../helpers/postgres.js';
import { type StorageApp, startAppOn } from '../helpers/storage-app.js';

/**
 * Input PostgreSQL cannot take where SQLite can. PostgreSQL text holds no U+0000: a lookup by a
 * value with one fails in the database (SQLSTATE 22021) where SQLite finds nothing. Fields Keyhold
 * stores refuse control characters before they reach it, but identifiers an unauthenticated
 * caller presents to the OAuth endpoints went straight to a lookup: a 500, logged as a bug.
 */
describe('NUL characters on PostgreSQL', () => {
  let cluster: PostgresCluster;
  let started: StorageApp;

  beforeAll(async () => {
    cluster = await startPostgres();
    started = await startAppOn(await openPostgres(await cluster.createDatabase()));
  }, 120_000);
  afterAll(async () => {
    await started?.close();
    cluster?.stop();
  });

  const form = (url: string, payload: string) =>
    started.app.inject({
      method: 'POST',
      url,
      payload,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

  it('answers 400 invalid_request, never a 500, to a client id, code or token holding one', async () => {
    const base = `/oauth/${started.accountId}`;
    const answers = [
      await form(`${base}/token`, 'grant_type=client_credentials&client_id=a%00b&client_secret=x'),
      await form(`${base}/device_authorization`, 'client_id=a%00b&scope=openid'),
      await form(`${base}/revoke`, 'token=x&client_id=a%00b&client_secret=x'),
      await started.app.inject({
        method: 'POST',
        url: `${base}/introspect`,
        payload: 'token=x',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from('a\u0000b:secret').toString('base64')}`,
        },
      }),
    ];
    for (const answer of answers) {
      expect(answer.statusCode, answer.body).toBe(400);
      expect(answer.json().error).toBe('invalid_request');
    }
    const page = await started.app.inject({
      method: 'GET',
      url: `${base}/authorize?client_id=a%00b&response_type=code&redirect_uri=https%3A%2F%2Fa.example`,
    });
    expect(page.statusCode).toBe(400);
    // Not one of them was taken for a fault of Keyhold's.
    const faults = started.logs.map((l) => JSON.parse(l)).filter((l) => l.level >= 50);
    expect(faults).toEqual([]);
  });
});
