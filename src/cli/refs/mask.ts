import { Transform, type TransformCallback } from 'node:stream';

/** What a masked secret is replaced with in a child's output. */
export const CONCEALED = '<concealed by keyhold>';

/**
 * Replaces every occurrence of any of `secrets` in a byte stream with CONCEALED, wherever the
 * chunks of the stream happen to split it.
 *
 * Invariant: the bytes held back at the end of a chunk start at the first position from which the
 * rest of the data is a proper prefix of a secret, so a secret split across chunks is never let
 * through in parts, and bytes that cannot start a secret are never delayed. At a position where several secrets
 * match, the longest wins (a secret that contains another is masked whole). When the stream
 * ends, the held bytes are written, masked where they hold a whole secret.
 *
 * Matching is on bytes (UTF-8), so a multi-byte character split between chunks is handled too.
 */
export class Masker {
  readonly #secrets: Buffer[];
  /** Secrets by first byte, longest first. */
  readonly #byFirst = new Map<number, Buffer[]>();
  readonly #mask: Buffer;
  #held: Buffer = Buffer.alloc(0);

  constructor(secrets: Iterable<string>, mask = CONCEALED) {
    const unique = [...new Set([...secrets].filter((s) => s.length > 0))];
    this.#secrets = unique.map((s) => Buffer.from(s, 'utf8')).sort((a, b) => b.length - a.length);
    for (const secret of this.#secrets) {
      const first = secret[0] as number;
      const list = this.#byFirst.get(first) ?? [];
      list.push(secret);
      this.#byFirst.set(first, list);
    }
    this.#mask = Buffer.from(mask, 'utf8');
  }

  /** The masked bytes that can be written now; the rest is held for the next chunk. */
  push(chunk: Buffer): Buffer {
    return this.#scan(this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]), false);
  }

  /**
   * What is still held, masked: the stream ended, so a partial secret is not one (but a whole
   * shorter secret inside it still is).
   */
  end(): Buffer {
    return this.#scan(this.#held, true);
  }

  #scan(data: Buffer, final: boolean): Buffer {
    const out: Buffer[] = [];
    let start = 0; // first byte not yet written out
    let i = 0;
    scan: while (i < data.length) {
      const candidates = this.#byFirst.get(data[i] as number);
      if (candidates) {
        for (const secret of candidates) {
          const available = data.length - i;
          if (available >= secret.length) {
            if (data.compare(secret, 0, secret.length, i, i + secret.length) === 0) {
              out.push(data.subarray(start, i), this.#mask);
              i += secret.length;
              start = i;
              continue scan;
            }
          } else if (!final && data.compare(secret, 0, available, i, data.length) === 0) {
            // The rest of the data may be the start of this secret: hold it.
            out.push(data.subarray(start, i));
            this.#held = Buffer.from(data.subarray(i));
            return Buffer.concat(out);
          }
        }
      }
      i += 1;
    }
    out.push(data.subarray(start));
    this.#held = Buffer.alloc(0);
    return Buffer.concat(out);
  }
}

/** A Masker as a stream: pipe a child's output through it. */
export function maskingStream(secrets: Iterable<string>): Transform {
  const masker = new Masker(secrets);
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      const out = masker.push(chunk);
      callback(null, out.length > 0 ? out : undefined);
    },
    flush(callback: TransformCallback) {
      const rest = masker.end();
      callback(null, rest.length > 0 ? rest : undefined);
    },
  });
}
