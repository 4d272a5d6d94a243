import type { Command } from 'commander';
import { emit, table } from '../output.js';
import { clientFor, integerFlag, type RemoteOptions, remote } from './remote.js';

interface AuditEvent {
  seq: number;
  occurredAt: string;
  actorType: string;
  actorId: string;
  action: string;
  resourceType: string;
  resourceId: string | null;
  vaultId: string | null;
  itemId: string | null;
  result: string;
  /** More than 1 for a summary of refused requests (docs/admin-api.md). */
  count?: number;
}

/** The most specific id an event names, for the one-line rendering. */
const target = (e: AuditEvent) => e.itemId ?? e.resourceId ?? e.vaultId ?? '';

/** `keyhold audit …`: the account's audit trail. */
export function registerAudit(program: Command): void {
  const audit = program.command('audit').description("read the audit trail of the admin token's account");

  remote(
    audit
      .command('list')
      .description('list audit events, newest first')
      .option('--limit <n>', 'how many events, 1-1000', '50')
      .option('--before <seq>', 'only events older than this sequence number (to page back)'),
  ).action(async (opts: RemoteOptions & { limit: string; before?: string }) => {
    const query = {
      limit: String(integerFlag('--limit', opts.limit, 1, 1000)),
      before:
        opts.before === undefined
          ? undefined
          : String(integerFlag('--before', opts.before, 1, Number.MAX_SAFE_INTEGER)),
    };
    const events = await clientFor(opts).request<AuditEvent[]>('GET', 'audit', undefined, query);
    emit(events, opts, (list) =>
      table(
        ['SEQ', 'TIME', 'ACTION', 'RESOURCE', 'ID', 'RESULT', 'ACTOR'],
        list.map((e) => [
          e.seq,
          e.occurredAt,
          e.action,
          e.resourceType,
          target(e),
          (e.count ?? 1) > 1 ? `${e.result} (${e.count} requests)` : e.result,
          `${e.actorType}:${e.actorId}`,
        ]),
      ),
    );
  });
}
