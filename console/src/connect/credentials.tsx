import { useSession } from '../session.js';

/**
 * Offers a credentials document as a file. It is made here, in the browser, as a Blob from the
 * API's answer (the object URL names memory of this page, never a request to the server), and
 * kept only in this page's memory: no storage, no URL with the secret in it. Leaving the page
 * drops it; the API never shows it again.
 */
export function CredentialsDownload({ name, credentials }: { name: string; credentials: unknown }) {
  const { notify } = useSession();
  const file = `${name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'connect'}-credentials.json`;
  const download = () => {
    const blob = new Blob([`${JSON.stringify(credentials, null, 2)}\n`], { type: 'application/json' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = file;
    document.body.append(a);
    a.click();
    a.remove();
    // After the click has started the download: the object URL is not needed any more.
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    notify(`${file} downloaded.`);
  };
  return (
    <section class="once" aria-labelledby="credentials-heading">
      <h2 id="credentials-heading">Credentials file</h2>
      <p>
        The server proves who it is with this file (<code>{file}</code>). It is shown only now: download it
        and keep it where the server runs, readable by it alone. Lost, it cannot be shown again; make new
        credentials instead.
      </p>
      <p>
        <button type="button" class="primary" onClick={download}>
          Download credentials file
        </button>
      </p>
    </section>
  );
}
