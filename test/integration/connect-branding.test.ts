import { addMember, bearer, createAccount, type TestApp, startTestApp } from '../support/test-app.js';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const dataUrl = (type: string, bytes: Buffer) => `data:${type};base64,${bytes.toString('base64')}`;
const LOGO = dataUrl('image/png', PNG);

/** The account's branding of the hosted connect page: who may read and change it, what it accepts, and whose sessions show it. */
describe('connect page branding', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ALLOWED_RETURN_ORIGINS: 'https://app.example.com' });
  });
  afterAll(() => t.close());

  // A Basic account's test key: branding needs no plan, and one branding serves both modes.
  async function account() {
    const { accountId, ownerToken } = await createAccount(t, 'basic');
    const key = await t.http
      .post('/v1/api-keys')
      .set(bearer(ownerToken))
      .send({ name: 'platform', mode: 'test', permissions: ['connections.manage'] });
    expect(key.status).toBe(201);
    return { accountId, ownerToken, platformKey: key.body.key as string };
  }

  const sessionBranding = async (platformKey: string) => {
    const opened = await t.http
      .post('/v1/connect-sessions')
      .set(bearer(platformKey))
      .send({ endUserId: 'creator_1', providers: ['ical_feed'], returnUrl: 'https://app.example.com/done' });
    expect(opened.status).toBe(201);
    const view = await t.http.get('/v1/connect/session').set(bearer(opened.body.token));
    expect(view.status).toBe(200);
    return view.body.branding;
  };

  it('is set by whoever may open connect sessions, on any plan, read by who may see integrations, and audited without the logo', async () => {
    const { accountId, ownerToken, platformKey } = await account();
    const developer = await addMember(t, accountId, ownerToken, 'developer');
    const host = await addMember(t, accountId, ownerToken, 'host');
    expect((await t.http.get('/v1/branding').set(bearer(ownerToken))).body).toEqual({});

    const branding = { name: ' Acme Studio ', logo: LOGO, primaryColor: '#1F6FEB', accentColor: '#f5a623' };
    const saved = await t.http.put('/v1/branding').set(bearer(platformKey)).send(branding);
    expect(saved.status).toBe(200);
    const expected = { name: 'Acme Studio', logo: LOGO, primaryColor: '#1f6feb', accentColor: '#f5a623' };
    expect(saved.body).toEqual(expected);
    expect((await t.http.get('/v1/branding').set(bearer(developer))).body).toEqual(expected);
    expect((await t.http.get('/v1/branding').set(bearer(host))).status).toBe(403);
    expect((await t.http.put('/v1/branding').set(bearer(developer)).send({ name: 'Mine' })).status).toBe(403);

    const audit = await t.http.get('/v1/audit-log?action=branding.updated').set(bearer(ownerToken));
    expect(audit.body.data).toHaveLength(1);
    expect(audit.body.data[0]).toMatchObject({
      targetType: 'account',
      targetId: accountId,
      details: { name: 'Acme Studio', logo: { type: 'image/png', bytes: PNG.length }, primaryColor: '#1f6feb', accentColor: '#f5a623' },
    });
    expect(JSON.stringify(audit.body)).not.toContain(PNG.toString('base64'));

    // PUT replaces the whole branding: what is left out is cleared.
    expect((await t.http.put('/v1/branding').set(bearer(ownerToken)).send({ primaryColor: '#000000' })).body).toEqual({ primaryColor: '#000000' });
  });

  it('refuses what the connect page cannot show, field by field', async () => {
    const { ownerToken } = await account();
    const refused = async (body: Record<string, unknown>) => {
      const response = await t.http.put('/v1/branding').set(bearer(ownerToken)).send(body);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('validation_failed');
      return (response.body.errors as { path: string; message: string }[]).map((error) => `${error.path}: ${error.message}`);
    };
    expect(await refused({ name: 'x'.repeat(81) })).toEqual(['name: name must be shorter than or equal to 80 characters']);
    expect(await refused({ name: '   ' })).toEqual(['name: name must not be blank']);
    expect(await refused({ primaryColor: 'red', accentColor: '#fff' })).toEqual([
      'primaryColor: primaryColor must be a colour as #rrggbb',
      'accentColor: accentColor must be a colour as #rrggbb',
    ]);
    const svg = dataUrl('image/svg+xml', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'));
    expect(await refused({ logo: svg })).toEqual(['logo: logo must be a data: URL of an image/png, image/jpeg or image/webp image, base64-encoded']);
    expect(await refused({ logo: 'https://cdn.example.com/logo.png' })).toHaveLength(1);
    expect(await refused({ logo: dataUrl('image/png', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')) })).toEqual(['logo: is not a PNG image']);
    // One byte over: short enough for the length check, refused once decoded.
    const large = Buffer.concat([PNG, Buffer.alloc(64 * 1024 + 1 - PNG.length)]);
    expect(await refused({ logo: dataUrl('image/png', large) })).toEqual([expect.stringMatching(/^logo: must be at most 64 KB decoded/)]);
    expect(await refused({ logo: dataUrl('image/png', Buffer.alloc(200 * 1024)) })).toEqual(['logo: logo must be at most 64 KB']);
    expect(await refused({ footer: 'Powered by' })).toEqual(['footer: is not allowed']);
    const webp = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')]);
    expect(
      (
        await t.http
          .put('/v1/branding')
          .set(bearer(ownerToken))
          .send({ logo: dataUrl('image/webp', webp) })
      ).status,
    ).toBe(200);
  });

  it("shows each account's branding on its own connect sessions only", async () => {
    const branded = await account();
    const plain = await account();
    await t.http.put('/v1/branding').set(bearer(branded.ownerToken)).send({ name: 'Acme Studio', logo: LOGO, primaryColor: '#1f6feb' });
    expect(await sessionBranding(branded.platformKey)).toEqual({ name: 'Acme Studio', logo: LOGO, primaryColor: '#1f6feb' });
    expect(await sessionBranding(plain.platformKey)).toEqual({});

    await t.http.put('/v1/branding').set(bearer(plain.ownerToken)).send({ name: 'Other Co' });
    expect(await sessionBranding(plain.platformKey)).toEqual({ name: 'Other Co' });
    expect((await t.http.get('/v1/branding').set(bearer(branded.platformKey))).body.name).toBe('Acme Studio');
  });
});
