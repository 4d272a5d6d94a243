import type { Command } from 'commander';
import type { CatalogCheck as CheckResult } from '../../domain/oauth/catalog-check.js';
import { CliError } from '../errors.js';
import { emit, table } from '../output.js';
import { clientFor, type RemoteOptions, remote } from './remote.js';

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** `keyhold scopes …`: the scope catalog as a whole. */
export function registerScopes(program: Command): void {
  const scopes = program.command('scopes').description('inspect the OAuth scope catalog');

  remote(
    scopes
      .command('check')
      .description(
        'lint the catalog, resource servers and clients against each other (unknown or mis-cased scopes, ' +
          'invalid redirect URIs, …); prints every problem, errors first, and exits 1 if any is an error',
      ),
  ).action(async (opts: RemoteOptions) => {
    const result = await clientFor(opts).request<CheckResult>('GET', 'scopes/check');
    const errors = result.problems.filter((p) => p.severity === 'error');
    const warnings = result.problems.filter((p) => p.severity !== 'error');
    emit({ ok: result.ok, problems: [...errors, ...warnings] }, opts, (r) =>
      r.problems.length === 0
        ? 'The scope catalog is consistent: no problems found.'
        : [
            table(
              ['SEVERITY', 'CODE', 'SUBJECT', 'MESSAGE'],
              r.problems.map((p) => [p.severity, p.code, p.subject, p.message]),
            ),
            `${count(errors.length, 'error')}, ${count(warnings.length, 'warning')}`,
          ].join('\n'),
    );
    if (!result.ok || errors.length > 0) {
      throw new CliError(`the scope catalog has ${count(errors.length, 'error')}; fix them and check again`);
    }
  });
}
