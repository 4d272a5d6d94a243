import { randomBytes } from 'node:crypto';
import { adminApi } from './admin-http.js';
import type { Server } from './processes.js';

/** An item created through the admin API, with the secret it was given. */
export interface Created {
  id: string;
  title: string;
  password: string;
}

/** Creates item `n` (a title and a random password) in the vault; throws unless answered 201. */
export async function createItem(
  server: Server,
  token: string,
  vaultId: string,
  n: number,
): Promise<Created> {
  const title = `item ${n}`;
  const password = `pw-${n}-${randomBytes(9).toString('base64url')}`;
  const response = await adminApi(server, token)('POST', `vaults/${vaultId}/items`, {
    title,
    fields: [{ id: 'password', purpose: 'PASSWORD', type: 'CONCEALED', label: 'password', value: password }],
  });
  if (response.status !== 201)
    throw new Error(`create ${n} answered ${response.status}: ${await response.text()}`);
  return { id: ((await response.json()) as { id: string }).id, title, password };
}

/** Reads every item back through `server`'s API: the ones missing, or not as created. */
export async function unreadable(
  server: Server,
  token: string,
  vaultId: string,
  items: Created[],
): Promise<string[]> {
  const call = adminApi(server, token);
  const wrong: string[] = [];
  for (let i = 0; i < items.length; i += 8) {
    await Promise.all(
      items.slice(i, i + 8).map(async (created) => {
        const response = await call('GET', `vaults/${vaultId}/items/${created.id}`);
        if (response.status !== 200) return void wrong.push(`${created.title}: ${response.status}`);
        const item = (await response.json()) as { title: string; fields: { id: string; value: string }[] };
        const password = item.fields.find((f) => f.id === 'password')?.value;
        if (item.title !== created.title || password !== created.password)
          wrong.push(`${created.title}: differs`);
      }),
    );
  }
  return wrong;
}

/**
 * A steady write load: `writers` loops, each creating the next item as soon as its last one was
 * answered. `acknowledged` grows as creates are answered 201; `stop` lets the loops finish.
 */
export function writeLoad(server: Server, token: string, vaultId: string, writers = 4) {
  const acknowledged: Created[] = [];
  let next = 0;
  let stopped = false;
  const loops = Array.from({ length: writers }, async () => {
    while (!stopped) acknowledged.push(await createItem(server, token, vaultId, next++));
  });
  return {
    acknowledged,
    /** Resolves once `count` creates were acknowledged. */
    async reach(count: number): Promise<void> {
      while (acknowledged.length < count) await new Promise((resolve) => setTimeout(resolve, 10));
    },
    async stop(): Promise<void> {
      stopped = true;
      await Promise.all(loops);
    },
  };
}
