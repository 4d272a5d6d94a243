import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { Show, Title, useLoad } from '../ui.js';
import {
  ACTIONS,
  type AuditEvent,
  type Filters,
  filterQuery,
  NO_FILTERS,
  RESOURCE_TYPES,
  RESULTS,
  words,
} from './types.js';

/** Events a page. One more is asked for, to know whether an older page exists. */
const PAGE = 50;

interface Actor {
  id: string;
  label: string;
}

/**
 * The account's audit trail (GET /api/admin/audit): newest first, narrowed by actor, action,
 * resource, result and time range, a page at a time (`before` the last event's `seq`), each
 * event naming its actor as the API labels it (users by email, tokens by name). The export
 * downloads every event of the filtered view as JSON lines (GET /api/admin/audit/export).
 */
export function AuditTrail() {
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [applied, setApplied] = useState<Filters>(NO_FILTERS);
  // The `before` cursor of each page shown so far: the last is the current page's.
  const [cursors, setCursors] = useState<Array<number | undefined>>([undefined]);
  const before = cursors[cursors.length - 1];
  const query = filterQuery(applied);
  const key = `${query.toString()}#${before ?? ''}`;
  const [events] = useLoad(() => {
    const page = new URLSearchParams(query);
    page.set('limit', String(PAGE + 1));
    if (before !== undefined) page.set('before', String(before));
    return api<AuditEvent[]>('GET', `/audit?${page.toString()}`);
  }, key);
  const actors = useActors(events.state === 'ok' ? events.value : []);

  const apply = (filters: Filters) => {
    setApplied(filters);
    setCursors([undefined]);
  };
  const set = (name: keyof Filters) => (e: Event) =>
    setDraft({ ...draft, [name]: (e.currentTarget as HTMLInputElement | HTMLSelectElement).value });
  const exportHref = `/api/admin/audit/export${query.toString() !== '' ? `?${query.toString()}` : ''}`;

  return (
    <>
      <Title text="Audit" />
      <form
        class="audit-filters"
        aria-label="Filters"
        onSubmit={(e) => {
          e.preventDefault();
          apply(draft);
        }}
      >
        <label>
          Actor
          <select value={draft.actor} onChange={set('actor')}>
            <option value="">Anyone</option>
            {actors.map((a) => (
              <option key={a.id} value={a.id}>
                {a.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Action
          <select value={draft.action} onChange={set('action')}>
            <option value="">Any action</option>
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {words(a)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Result
          <select value={draft.result} onChange={set('result')}>
            <option value="">Any result</option>
            {RESULTS.map((r) => (
              <option key={r} value={r}>
                {words(r)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Resource type
          <select value={draft.resourceType} onChange={set('resourceType')}>
            <option value="">Any type</option>
            {RESOURCE_TYPES.map((r) => (
              <option key={r} value={r}>
                {words(r)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Resource id
          <input value={draft.resource} onInput={set('resource')} placeholder="a vault, item, user… id" />
        </label>
        <label>
          From
          <input type="datetime-local" value={draft.since} onInput={set('since')} />
        </label>
        <label>
          Until
          <input type="datetime-local" value={draft.until} onInput={set('until')} />
        </label>
        <div class="row audit-buttons">
          <button type="submit" class="primary">
            Apply filters
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(NO_FILTERS);
              apply(NO_FILTERS);
            }}
          >
            Clear
          </button>
          <a class="button" href={exportHref} download>
            Export JSON lines
          </a>
        </div>
      </form>
      <Show loaded={events}>
        {(list) => {
          const rows = list.slice(0, PAGE);
          const older = list.length > PAGE;
          const first = (cursors.length - 1) * PAGE + 1;
          return (
            <>
              <p class="muted audit-status" role="status" aria-live="polite">
                {rows.length === 0
                  ? 'No event matches these filters.'
                  : `Events ${first}–${first + rows.length - 1}, newest first`}
              </p>
              {rows.length > 0 && <EventTable rows={rows} />}
              <div class="row audit-pages">
                <button
                  type="button"
                  disabled={cursors.length === 1}
                  onClick={() => setCursors(cursors.slice(0, -1))}
                >
                  Newer
                </button>
                <button
                  type="button"
                  disabled={!older}
                  onClick={() => setCursors([...cursors, rows[rows.length - 1]?.seq])}
                >
                  Older
                </button>
              </div>
            </>
          );
        }}
      </Show>
    </>
  );
}

function EventTable({ rows }: { rows: AuditEvent[] }) {
  return (
    <table class="audit">
      <caption class="sr-only">Audit events</caption>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Actor</th>
          <th scope="col">Action</th>
          <th scope="col">Resource</th>
          <th scope="col">Result</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((e) => (
          <tr key={e.seq} data-seq={e.seq}>
            <td data-label="When">
              <time dateTime={e.occurredAt}>{new Date(e.occurredAt).toLocaleString()}</time>
            </td>
            <td data-label="Actor">
              <span class={e.actorKnown ? 'actor' : 'actor muted'}>{e.actorLabel}</span>
              <span class="muted small"> {words(e.actorType)}</span>
              {e.count > 1 && <span class="muted small"> ×{e.count}</span>}
            </td>
            <td data-label="Action">{words(e.action)}</td>
            <td data-label="Resource">
              {words(e.resourceType)}
              {resourceIds(e).map((id) => (
                <code key={id} class="small id">
                  {' '}
                  {id}
                </code>
              ))}
            </td>
            <td data-label="Result">
              <span class={`result result-${e.result.toLowerCase()}`}>{words(e.result)}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The ids an event names, each once (an item's event names its vault too). */
function resourceIds(e: AuditEvent): string[] {
  const ids = [e.resourceId, e.vaultId, e.itemId].filter((id): id is string => id !== null);
  const out = [...new Set(ids)];
  if (e.itemVersion !== null) out.push(`v${e.itemVersion}`);
  return out;
}

/**
 * Who the actor filter offers: the account's users (by email) and admin tokens (by name), two
 * requests in all, and whoever else acted on the page shown (Connect tokens, OAuth clients) as
 * the trail labels them. A list the caller may not read is left out.
 */
function useActors(seen: AuditEvent[]): Actor[] {
  const [known, setKnown] = useState<Actor[]>([]);
  useEffect(() => {
    let live = true;
    const users = api<Array<{ id: string; email: string }>>('GET', '/users').then(
      (list) => list.map((u) => ({ id: u.id, label: u.email })),
      () => [],
    );
    const tokens = api<Array<{ id: string; name: string }>>('GET', '/admin-tokens').then(
      (list) => list.map((t) => ({ id: t.id, label: `${t.name} (admin token)` })),
      () => [],
    );
    Promise.all([users, tokens]).then(([u, t]) => live && setKnown([...u, ...t]));
    return () => {
      live = false;
    };
  }, []);
  const byId = new Map(known.map((a) => [a.id, a]));
  for (const e of seen) {
    if (!byId.has(e.actorId) && e.actorId !== 'unknown')
      byId.set(e.actorId, { id: e.actorId, label: e.actorLabel });
  }
  return [...byId.values()].sort((a, b) => a.label.localeCompare(b.label));
}
