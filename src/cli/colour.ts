/**
 * Colour, used sparingly: table headers in bold, the `keyhold:` of an error in red. Only where a
 * person reads it: a terminal (`isTTY`) whose TERM is not `dumb`, never a pipe or a file, so
 * scripts never see an escape code.
 *
 * - `NO_COLOR` set to anything but the empty string turns colour off (https://no-color.org).
 * - `FORCE_COLOR` set to anything but `0` or `false` turns it on, even through a pipe
 *   (`FORCE_COLOR=1 keyhold audit list | less -R`), and wins over `NO_COLOR`, as it does for
 *   Node itself: it is the more specific request, usually made for one command, where NO_COLOR is
 *   a standing preference in a profile. `FORCE_COLOR=0` turns colour off.
 *
 * Plain SGR codes rather than `node:util` `styleText`: on Node 20 that function applies its own
 * stream and environment checks to some formats and not to others, and the rule must be this one.
 */

export interface Stream {
  isTTY?: boolean;
}

export function colourWanted(stream: Stream, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

const SGR = { bold: [1, 22], dim: [2, 22], red: [31, 39] } as const;
export type Style = keyof typeof SGR;

/** `text` in `style` when colour is wanted on `stream`, else `text` as it is. */
export function paint(
  style: Style,
  text: string,
  stream: Stream = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (!colourWanted(stream, env)) return text;
  const [on, off] = SGR[style];
  return `\u001b[${on}m${text}\u001b[${off}m`;
}
