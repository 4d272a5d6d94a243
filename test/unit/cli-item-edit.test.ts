import { describe, expect, it } from 'vitest';
import { applyEdits, type EditableItem, parseAssignment } from '../../src/cli/commands/item-edit.js';

describe('parseAssignment: [SECTION.]FIELD[TYPE]=VALUE, as op item edit', () => {
  it('reads section, field, type and where the value comes from', () => {
    expect(parseAssignment('password=s3=cret')).toEqual({
      field: 'password',
      value: { kind: 'text', text: 's3=cret' },
    });
    expect(parseAssignment('API.token[password]=@-')).toEqual({
      section: 'API',
      field: 'token',
      type: 'CONCEALED',
      value: { kind: 'stdin' },
    });
    expect(parseAssignment('port[text]=@./p.txt')).toEqual({
      field: 'port',
      type: 'STRING',
      value: { kind: 'file', path: './p.txt' },
    });
    expect(parseAssignment('code[monthYear]=202612')).toMatchObject({ type: 'MONTH_YEAR' });
    expect(parseAssignment('old=-')).toEqual({ field: 'old', value: { kind: 'delete' } });
    expect(parseAssignment('old[delete]')).toEqual({ field: 'old', value: { kind: 'delete' } });
    expect(parseAssignment('empty=')).toEqual({ field: 'empty', value: { kind: 'text', text: '' } });
  });

  it('lets a backslash escape . = [ ] in names', () => {
    expect(parseAssignment('db\\.host=x')).toEqual({ field: 'db.host', value: { kind: 'text', text: 'x' } });
    expect(parseAssignment('a\\=b=c')).toEqual({ field: 'a=b', value: { kind: 'text', text: 'c' } });
    expect(parseAssignment('s.f.g=1')).toMatchObject({ section: 's', field: 'f.g' });
  });

  it('refuses what it cannot read, naming the field but never the value', () => {
    expect(() => parseAssignment('pin')).toThrow('no "=" found');
    expect(() => parseAssignment('=secret')).toThrow('no field name');
    expect(() => parseAssignment('.f=secret')).toThrow('empty section name');
    expect(() => parseAssignment('f[phone]=secret')).toThrow('unknown field type "phone"');
    expect(() => parseAssignment('f[text]=-')).toThrow('takes no type');
    for (const spec of ['f[phone]=secret', '=secret', '.f=secret']) {
      expect(() => parseAssignment(spec)).toThrow(
        expect.not.objectContaining({ message: expect.stringContaining('secret') }),
      );
    }
  });
});

describe('applyEdits', () => {
  const item: EditableItem = {
    id: 'i',
    title: 'DB',
    version: 3,
    tags: ['a', 'b'],
    urls: [{ href: 'https://old.example.com', primary: true }],
    sections: [{ id: 's1', label: 'API' }],
    fields: [
      { id: 'username', type: 'STRING', label: 'username', value: 'app' },
      { id: 'password', type: 'CONCEALED', label: 'password', value: 'old' },
      { id: 'f1', type: 'STRING', label: 'token', value: 't', section: { id: 's1' } },
    ],
  };
  const text = (spec: string, value?: string) => ({
    ...parseAssignment(spec),
    ...(value === undefined ? {} : { text: value }),
  });

  it('sets, retypes, adds and deletes fields by label or id, in sections', () => {
    const next = applyEdits(item, {
      assignments: [
        text('PASSWORD=x', 'new'),
        text('API.token[password]=y', 'tok'),
        text('New.key=z', 'k'),
        text('extra[url]=https://e', 'https://e'),
        text('username=-'),
      ],
    });
    const by = (label: string) => next.fields?.find((f) => f.label === label);
    expect(by('password')).toMatchObject({ id: 'password', type: 'CONCEALED', value: 'new' });
    expect(by('token')).toMatchObject({ id: 'f1', type: 'CONCEALED', value: 'tok', section: { id: 's1' } });
    const created = next.sections?.find((s) => s.label === 'New');
    expect(by('key')).toMatchObject({ type: 'CONCEALED', value: 'k', section: { id: created?.id } });
    expect(by('key')?.id).toMatch(/^[a-z0-9]{26}$/);
    expect(by('extra')).toMatchObject({ type: 'URL' });
    expect(by('username')).toBeUndefined();
    expect(next.version).toBe(3);
  });

  it('edits title, tags and the primary URL', () => {
    expect(
      applyEdits(item, { assignments: [], title: 'T', addTags: ['c', 'a'], removeTags: ['b'] }),
    ).toMatchObject({
      title: 'T',
      tags: ['a', 'c'],
    });
    expect(applyEdits(item, { assignments: [], tags: [] }).tags).toEqual([]);
    expect(applyEdits(item, { assignments: [], url: 'https://new.example.com' }).urls).toEqual([
      { href: 'https://new.example.com', primary: true },
    ]);
    expect(applyEdits(item, { assignments: [], url: '' }).urls).toEqual([]);
    expect(() => applyEdits(item, { assignments: [], removeTags: ['zz'] })).toThrow("has no tag 'zz'");
  });

  it('refuses to delete what is not there', () => {
    expect(() => applyEdits(item, { assignments: [text('nope=-')] })).toThrow(
      "no field named or with id 'nope'",
    );
    expect(() => applyEdits(item, { assignments: [text('Nope.token=-')] })).toThrow(
      "no section named or with id 'Nope'",
    );
  });
});
