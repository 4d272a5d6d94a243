import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/errors.js';
import { pickByNameOrId } from '../../src/cli/name-or-id.js';

const vaults = [
  { id: 'aaaaaaaaaaaaaaaaaaaaaaaaaa', name: 'Production' },
  { id: 'bbbbbbbbbbbbbbbbbbbbbbbbbb', name: 'staging' },
  { id: 'cccccccccccccccccccccccccc', name: 'Staging' },
  { id: 'dddddddddddddddddddddddddd', name: 'aaaaaaaaaaaaaaaaaaaaaaaaaa' },
  { id: 'eeeeeeeeeeeeeeeeeeeeeeeeee', name: 'Shared' },
  { id: 'ffffffffffffffffffffffffff', name: 'shared' },
];

describe('pickByNameOrId', () => {
  it('finds by id, and an id wins over a name that looks like it', () => {
    expect(pickByNameOrId(vaults, 'aaaaaaaaaaaaaaaaaaaaaaaaaa', 'vault').name).toBe('Production');
    expect(pickByNameOrId(vaults, 'dddddddddddddddddddddddddd', 'vault').name).toBe(
      'aaaaaaaaaaaaaaaaaaaaaaaaaa',
    );
  });

  it('finds by exact name first, then ignoring case when that is unambiguous', () => {
    expect(pickByNameOrId(vaults, 'staging', 'vault').id).toBe('bbbbbbbbbbbbbbbbbbbbbbbbbb');
    expect(pickByNameOrId(vaults, 'Staging', 'vault').id).toBe('cccccccccccccccccccccccccc');
    expect(pickByNameOrId(vaults, 'PRODUCTION', 'vault').id).toBe('aaaaaaaaaaaaaaaaaaaaaaaaaa');
  });

  it('says in words when nothing matches', () => {
    expect(() => pickByNameOrId(vaults, 'Prod', 'vault')).toThrow(
      new CliError("no vault named or with id 'Prod'"),
    );
  });

  it('lists the candidates with their ids when a name is ambiguous', () => {
    let error: unknown;
    try {
      pickByNameOrId(vaults, 'SHARED', 'vault');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toBe(
      "'SHARED' names 2 vaults; use an id:\n  eeeeeeeeeeeeeeeeeeeeeeeeee  Shared\n  ffffffffffffffffffffffffff  shared",
    );
  });
});
