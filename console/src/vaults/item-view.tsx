import { useEffect, useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { ItemHistoryLinks } from '../history/trash.js';
import { href } from '../router.js';
import { useSession } from '../session.js';
import { Show, Title, useLoad } from '../ui.js';
import { ItemFiles } from './item-files.js';
import { parseTotp, secondsLeft, totpAt } from './totp.js';
import { categoryName, type Field, type FullItem, isConcealed, itemPath, vaultPath } from './types.js';

const fieldName = (f: Field) =>
  f.purpose === 'USERNAME'
    ? 'Username'
    : f.purpose === 'PASSWORD'
      ? 'Password'
      : f.purpose === 'NOTES'
        ? 'Notes'
        : f.label;

/**
 * One item. Concealed values are not drawn until "Reveal"; every reveal and every copy of a
 * concealed value reads the item again, so each is a READ in the audit trail (the admin API has
 * no read of one field: the event names the item and its version, not the field).
 */
export function ItemView({ vaultId, itemId }: { vaultId: string; itemId: string }) {
  const path = itemPath(vaultId, itemId);
  const [item] = useLoad(() => api<FullItem>('GET', path), path);
  return (
    <Show loaded={item}>
      {(it) => (
        <>
          <p class="crumbs">
            <a href={href('/vaults')}>Vaults</a> / <a href={href(vaultPath(vaultId))}>Items</a>
          </p>
          <Title text={it.title || '(untitled)'} />
          <p class="muted">
            {categoryName(it.category)} · version {it.version} · updated{' '}
            {new Date(it.updatedAt).toLocaleString()}
          </p>
          <p>
            <a class="button" href={href(`${path}/edit`)}>
              Edit
            </a>{' '}
            <ItemHistoryLinks vaultId={vaultId} itemId={itemId} title={it.title || '(untitled)'} />
          </p>
          <dl class="fields">
            {it.fields
              .filter((f) => !f.section || !it.sections.some((sec) => sec.id === f.section?.id))
              .map((f) => (
                <FieldRow key={f.id} field={f} path={path} />
              ))}
            {(it.urls ?? []).length > 0 && (
              <>
                <dt>{it.urls?.length === 1 ? 'Website' : 'Websites'}</dt>
                <dd>
                  <ul class="plain">
                    {it.urls?.map((u) => (
                      <li key={u.href}>
                        <span class="value">{u.href}</span>
                      </li>
                    ))}
                  </ul>
                </dd>
              </>
            )}
            {it.tags.length > 0 && (
              <>
                <dt>Tags</dt>
                <dd>
                  <ul class="tags">
                    {it.tags.map((t) => (
                      <li key={t}>{t}</li>
                    ))}
                  </ul>
                </dd>
              </>
            )}
          </dl>
          {it.sections.map((sec, i) => {
            const fields = it.fields.filter((f) => f.section?.id === sec.id);
            return (
              <section key={sec.id} class="item-section" aria-labelledby={`section-${sec.id}`}>
                <h2 id={`section-${sec.id}`}>{sec.label || `Section ${i + 1}`}</h2>
                {fields.length === 0 ? (
                  <p class="muted">No fields.</p>
                ) : (
                  <dl class="fields">
                    {fields.map((f) => (
                      <FieldRow key={f.id} field={f} path={path} />
                    ))}
                  </dl>
                )}
              </section>
            );
          })}
          <ItemFiles path={path} files={it.files ?? []} />
        </>
      )}
    </Show>
  );
}

function FieldRow({ field, path }: { field: Field; path: string }) {
  return field.type === 'OTP' ? <OtpRow field={field} /> : <ValueRow field={field} path={path} />;
}

/**
 * An OTP field: the current code, computed in the browser from the value the item read already
 * returned, and the seconds until the next one (totp.ts says why it is not asked of the API).
 */
function OtpRow({ field }: { field: Field }) {
  const { notify } = useSession();
  const key = parseTotp(field.value);
  const [now, setNow] = useState(Date.now());
  const [code, setCode] = useState<string | undefined>(field.totp);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const counter = key ? Math.floor(now / 1000 / key.period) : 0;
  useEffect(() => {
    if (!key) return;
    let live = true;
    totpAt(key, now).then((c) => live && setCode(c));
    return () => {
      live = false;
    };
  }, [field.value, counter]);
  const name = field.label || 'One-time password';
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(code ?? '');
      notify(`${name} copied to the clipboard.`);
    } catch (error) {
      notify(`${name} was not copied: ${messageOf(error)}`);
    }
  };
  const left = key ? secondsLeft(key, now) : 0;
  return (
    <>
      <dt>{name}</dt>
      <dd class="field otp">
        <span class="value code" data-otp="code">
          {code ?? '—'}
        </span>
        {key && (
          <span class="muted small countdown">
            <progress max={key.period} value={left} aria-label={`Seconds until the next code of ${name}`} />{' '}
            <span data-otp="seconds">{left}</span> s
          </span>
        )}
        <span class="actions">
          <button type="button" class="small" onClick={copy} aria-label={`Copy ${name}`}>
            Copy
          </button>
        </span>
      </dd>
    </>
  );
}

function ValueRow({ field, path }: { field: Field; path: string }) {
  const { notify } = useSession();
  const [revealed, setRevealed] = useState<string>();
  const concealed = isConcealed(field);
  const name = fieldName(field);
  /** The value as stored now, read again through the API (an audited read). */
  const readAgain = async () => {
    const fresh = await api<FullItem>('GET', path);
    return fresh.fields.find((f) => f.id === field.id)?.value ?? '';
  };
  const reveal = async () => {
    if (revealed !== undefined) return setRevealed(undefined);
    try {
      setRevealed(await readAgain());
    } catch (error) {
      notify(messageOf(error));
    }
  };
  const copy = async () => {
    try {
      const value = concealed ? await readAgain() : field.value;
      await navigator.clipboard.writeText(value);
      notify(`${name} copied to the clipboard.`);
    } catch (error) {
      notify(`${name} was not copied: ${messageOf(error)}`);
    }
  };
  const shown = concealed ? revealed : field.value;
  return (
    <>
      <dt>{name}</dt>
      <dd class="field">
        {shown === undefined ? (
          <span class="value concealed">
            <span aria-hidden="true">••••••••••</span>
            <span class="sr-only">hidden</span>
          </span>
        ) : (
          <span class={field.purpose === 'NOTES' ? 'value notes' : 'value'}>{shown}</span>
        )}
        <span class="actions">
          {concealed && (
            <button
              type="button"
              class="small"
              onClick={reveal}
              aria-label={`${revealed === undefined ? 'Reveal' : 'Hide'} ${name}`}
            >
              {revealed === undefined ? 'Reveal' : 'Hide'}
            </button>
          )}
          <button type="button" class="small" onClick={copy} aria-label={`Copy ${name}`}>
            Copy
          </button>
        </span>
      </dd>
    </>
  );
}
