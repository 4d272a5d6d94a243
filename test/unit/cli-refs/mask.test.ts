import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CONCEALED, Masker, maskingStream } from '../../../src/cli/refs/mask.js';

/** Feeds `chunks` through a fresh Masker and returns everything it let out. */
function mask(secrets: string[], chunks: (string | Buffer)[]): string {
  const masker = new Masker(secrets);
  const out = chunks.map((c) => masker.push(Buffer.isBuffer(c) ? c : Buffer.from(c, 'utf8')));
  return Buffer.concat([...out, masker.end()]).toString('utf8');
}

/** `text` cut at every pair of positions: 1, 2 and 3 chunks, and one byte at a time. */
function everySplit(text: string): Buffer[][] {
  const bytes = Buffer.from(text, 'utf8');
  const splits: Buffer[][] = [[bytes], [...bytes].map((b) => Buffer.from([b]))];
  for (let i = 0; i <= bytes.length; i++) {
    splits.push([bytes.subarray(0, i), bytes.subarray(i)]);
    for (let j = i; j <= bytes.length; j++) {
      splits.push([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]);
    }
  }
  return splits;
}

const M = CONCEALED;

describe('Masker', () => {
  it('replaces every occurrence of every secret', () => {
    expect(mask(['hunter2', 's3cr3t'], ['pw=hunter2 token=s3cr3t again hunter2\n'])).toBe(
      `pw=${M} token=${M} again ${M}\n`,
    );
  });

  it('masks a secret however the chunks split it', () => {
    const secrets = ['correct horse', 'battery', 'ünï秘密🔑'];
    const text = 'a correct horse, battery staple; ünï秘密🔑 and correct hors (not quite) batter';
    const expected = `a ${M}, ${M} staple; ${M} and correct hors (not quite) batter`;
    for (const chunks of everySplit(text)) expect(mask(secrets, chunks)).toBe(expected);
  });

  it('holds back only a tail that may become a secret, and lets it out when it does not', () => {
    const masker = new Masker(['secret']);
    expect(masker.push(Buffer.from('abc sec')).toString()).toBe('abc ');
    expect(masker.push(Buffer.from('ond')).toString()).toBe('second');
    expect(masker.push(Buffer.from('xyz')).toString()).toBe('xyz');
    expect(masker.push(Buffer.from('secre')).toString()).toBe('');
    expect(masker.end().toString()).toBe('secre');
  });

  it('masks the longer of two secrets that start at the same place, and overlapping repeats', () => {
    for (const chunks of everySplit('abcdef abc abcde aab')) {
      expect(mask(['abc', 'abcdef', 'aab'], chunks)).toBe(`${M} ${M} ${M}de ${M}`);
    }
    expect(mask(['aa'], ['aaa'])).toBe(`${M}a`);
  });

  it('masks a whole short secret inside a held tail when the stream ends', () => {
    // "xyz" is held (it may become "xyz12345"); at the end it is not, but "yz" in it is a secret.
    expect(mask(['xyz12345', 'yz'], ['--x', 'yz'])).toBe(`--x${M}`);
  });

  it('ignores empty secrets and passes text without secrets unchanged', () => {
    expect(mask([''], ['nothing to hide'])).toBe('nothing to hide');
    expect(mask([], ['a', 'b'])).toBe('ab');
  });

  it('works as a stream', async () => {
    const source = Readable.from([Buffer.from('the key is ke'), Buffer.from('y-123 and key-123.')]);
    const out: Buffer[] = [];
    for await (const chunk of source.pipe(maskingStream(['key-123']))) out.push(chunk as Buffer);
    expect(Buffer.concat(out).toString()).toBe(`the key is ${M} and ${M}.`);
  });
});
