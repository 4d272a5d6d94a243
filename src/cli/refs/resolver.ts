import { CliError } from '../errors.js';
import { type Nameable, pickByNameOrId } from '../name-or-id.js';
import type { SecretReference } from './reference.js';
import type { RefField, RefItem, RefItemSummary, RefVault, SecretSource } from './sources.js';

/** Requests in flight at once, however many references a command resolves. */
const PARALLEL_REQUESTS = 8;

/** What clients take for an id ("id or title?"), as Connect's SDKs do. */
const ID_SHAPE = /^[a-z0-9]{26}$/;

export type Resolution = { ref: SecretReference; value: string } | { ref: SecretReference; error: string };

/**
 * Resolves references against one source for one command. The vault list, each vault's item list
 * and each item are requested once however many references name them (the promise is cached, so
 * references resolved in parallel share one request), and at most PARALLEL_REQUESTS requests
 * are in flight.
 *
 * Every segment goes through `pickByNameOrId`: an id wins, then the exact name, then the name
 * ignoring case; no match or an ambiguous name is an error in words, prefixed by the reference.
 */
export class Resolver {
  #vaults: Promise<RefVault[]> | undefined;
  readonly #items = new Map<string, Promise<RefItemSummary[]>>();
  readonly #full = new Map<string, Promise<RefItem | undefined>>();
  readonly #slots = new Slots(PARALLEL_REQUESTS);

  constructor(
    private readonly source: SecretSource,
    private readonly now: () => number = Date.now,
  ) {}

  /** The value a reference points at; a CliError starting with the reference otherwise. */
  async resolve(ref: SecretReference): Promise<string> {
    try {
      return await this.#resolve(ref);
    } catch (error) {
      if (error instanceof CliError) throw new CliError(`${ref.raw}: ${error.message}`, error.exitCode);
      throw error;
    }
  }

  /** Every reference resolved (in parallel, bounded); each one's value or why it failed. */
  resolveAll(refs: readonly SecretReference[]): Promise<Resolution[]> {
    return Promise.all(
      refs.map(async (ref): Promise<Resolution> => {
        try {
          return { ref, value: await this.resolve(ref) };
        } catch (error) {
          if (!(error instanceof CliError)) throw error;
          return { ref, error: error.message };
        }
      }),
    );
  }

  async #resolve(ref: SecretReference): Promise<string> {
    const vault = pick(await this.#vaultList(), (v) => v.name, ref.vault, 'vault', this.source.reach);
    const item = await this.#item(vault, ref.item);
    const inItem = ` in item '${item.title}'`;
    let fields = item.fields ?? [];
    if (ref.section !== undefined) {
      const section = pick(item.sections ?? [], (s) => s.label ?? '', ref.section, 'section', inItem);
      fields = fields.filter((f) => f.section?.id === section.id);
    }
    const field = pick(fields, (f) => f.label, ref.field, 'field', inItem);
    return this.#attribute(field, ref);
  }

  /** The item by id when the segment looks like one (saves listing the vault), else by title. */
  async #item(vault: RefVault, query: string): Promise<RefItem> {
    if (ID_SHAPE.test(query)) {
      const byId = await this.#fullItem(vault, query);
      if (byId) return byId;
    }
    const summaries = await this.#itemList(vault);
    const summary = pick(summaries, (s) => s.title, query, 'item', ` in vault '${vault.name}'`);
    const item = await this.#fullItem(vault, summary.id);
    if (!item) throw new CliError(`item '${summary.title}' in vault '${vault.name}' was deleted meanwhile`);
    return item;
  }

  async #attribute(field: RefField, ref: SecretReference): Promise<string> {
    const name = field.label || field.id;
    switch (ref.attribute) {
      case 'value':
        return field.value ?? '';
      case 'type':
        return field.type;
      case 'id':
        return field.id;
      case 'purpose':
        return field.purpose ?? '';
      case 'label':
        return field.label;
      case 'otp': {
        if (field.type !== 'OTP') {
          throw new CliError(`field '${name}' is not a one-time password field (its type is ${field.type})`);
        }
        // Loaded only for an OTP reference: the TOTP library is no part of the CLI's start.
        const { currentTotp } = await import('../../domain/items/otp.js');
        try {
          return currentTotp(field.value ?? '', this.now());
        } catch {
          throw new CliError(`field '${name}' does not hold a usable TOTP key`);
        }
      }
    }
  }

  #vaultList(): Promise<RefVault[]> {
    this.#vaults ??= this.#slots.run(() => this.source.vaults());
    return this.#vaults;
  }

  #itemList(vault: RefVault): Promise<RefItemSummary[]> {
    return cached(this.#items, vault.id, () => this.#slots.run(() => this.source.items(vault)));
  }

  #fullItem(vault: RefVault, itemId: string): Promise<RefItem | undefined> {
    return cached(this.#full, `${vault.id}/${itemId}`, () =>
      this.#slots.run(() => this.source.item(vault, itemId)),
    );
  }
}

function cached<T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let entry = map.get(key);
  if (!entry) {
    entry = load();
    map.set(key, entry);
  }
  return entry;
}

/**
 * `pickByNameOrId` over things whose name is `nameOf(thing)`; a "no … named" error gets `context`
 * ("in vault 'Prod'") so the user knows where it was looked for.
 */
function pick<T extends { id: string }>(
  things: readonly T[],
  nameOf: (thing: T) => string,
  query: string,
  kind: string,
  context: string,
): T {
  const candidates: (Nameable & { thing: T })[] = things.map((thing) => ({
    id: thing.id,
    name: nameOf(thing),
    thing,
  }));
  try {
    return pickByNameOrId(candidates, query, kind).thing;
  } catch (error) {
    if (error instanceof CliError && error.message.startsWith(`no ${kind} `)) {
      throw new CliError(`${error.message}${context}`);
    }
    throw error;
  }
}

/** At most `size` tasks at once; the rest wait in order. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(size: number) {
    this.#free = size;
  }
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#free === 0) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#free -= 1;
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free += 1;
    }
  }
}
