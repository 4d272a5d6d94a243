import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { CliError } from './errors.js';

/**
 * Secret values on the command line are visible to every user of the machine (`ps`, /proc) and
 * land in shell history. So every flag that takes one, `--X VALUE`, has a twin `--X-file PATH`
 * that reads the value from the file PATH, or from standard input when PATH is `-` (as
 * `docker login --password-stdin`, `gh secret set` and `vault kv put k=-` do). One trailing line
 * break is dropped, so `echo "$PW" | keyhold … --password-file -` gives the password itself.
 */

/** More than any value the admin API accepts: a read stops there instead of filling memory. */
const MAX_SECRET_BYTES = 1024 * 1024;

/** The path that means standard input. */
const STDIN_PATH = '-';

async function readAll(stream: Readable, flag: string, source: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      size += (chunk as Buffer).length;
      if (size > MAX_SECRET_BYTES) {
        stream.destroy();
        throw new CliError(`${flag}: ${source} holds more than ${MAX_SECRET_BYTES} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new CliError(`${flag}: cannot read ${source} (${code})`);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads the secret values of one command. Standard input can be read once, so a second flag
 * asking for it is refused by name. Messages name the flag and the file, never the content.
 */
export class SecretInput {
  #stdinTakenBy: string | undefined;
  readonly #stdin: () => Readable;

  constructor(stdin: () => Readable = () => process.stdin) {
    this.#stdin = stdin;
  }

  async read(flag: string, path: string): Promise<string> {
    let bytes: Buffer;
    if (path === STDIN_PATH) {
      if (this.#stdinTakenBy !== undefined) {
        throw new CliError(
          `${flag} -: standard input is already read for ${this.#stdinTakenBy}; give one of them a file`,
        );
      }
      this.#stdinTakenBy = flag;
      bytes = await readAll(this.#stdin(), flag, 'standard input');
    } else {
      bytes = await readAll(createReadStream(path), flag, path);
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new CliError(`${flag}: ${path === STDIN_PATH ? 'standard input' : path} is not UTF-8 text`);
    }
    const value = text.replace(/\r?\n$/, '');
    if (value === '') {
      throw new CliError(`${flag}: ${path === STDIN_PATH ? 'standard input' : path} is empty`);
    }
    return value;
  }
}

/**
 * A value given either as `--X VALUE` or as `--X-file PATH`: at most one of them; undefined
 * when neither was given.
 */
export async function valueOrFile(
  input: SecretInput,
  flag: string,
  value: string | undefined,
  file: string | undefined,
): Promise<string | undefined> {
  if (file === undefined) return value;
  if (value !== undefined) throw new CliError(`give either ${flag} or ${flag}-file, not both`);
  return input.read(`${flag}-file`, file);
}
