import type { VerifyResult } from '../../../src/sdk/index.js';
import { startFakeGoogleMaps, type FakeGoogleMaps } from '../../fixtures/providers/google-maps.js';
import type { Json } from '../../support/bundled-plugins.js';
import { startProviderHost, type ProviderHost } from '../../support/provider-host.js';

/**
 * The Google Maps plugin as the host runs it: the real loader, a sandboxed child process, the host's
 * HTTP client applying the key as the `key` query parameter under https://maps.googleapis.com, and
 * PROVIDER_ORIGIN_OVERRIDES pointing the Geocoding and Routes origins at the local fake.
 */
describe('google_maps in the host (PLUGIN_ISOLATION=process)', () => {
  let host: ProviderHost;
  let fake: FakeGoogleMaps;

  beforeAll(async () => {
    fake = await startFakeGoogleMaps();
    host = await startProviderHost({ fakes: [fake], integration: { id: '3c5e7a9b-1d2f-4a6c-8e0b-2d4f6a8c0e1f', accountId: 'acct_maps' } });
  });
  afterAll(() => host?.close());

  it('verifies the key, geocodes an address, computes a route, and refuses a key without the Geocoding API as 422', async () => {
    const { runner } = host;
    const context = host.context({ apiKey: fake.key.key });
    await expect(runner.invoke<VerifyResult>('google_maps', { kind: 'verify', context })).resolves.toMatchObject({
      displayName: expect.stringMatching(/^Google Maps Platform \(key sha256:[0-9a-f]{12}\)$/),
      metadata: { geocodingApi: 'enabled' },
    });
    expect(fake.state.requests.at(-1)).toMatchObject({ method: 'GET', path: '/maps/api/geocode/json', query: { key: fake.key.key } });

    const geocoded = await runner.invoke<Json>('google_maps', {
      kind: 'action',
      name: 'geocode',
      input: { address: '277 Bedford Ave, Brooklyn, NY' },
      context,
    });
    expect(geocoded).toMatchObject({ status: 'OK', results: [{ placeId: 'ChIJd8BlQ2BZwokRAFUEcm_qrcA', location: { lat: 40.7142205, lng: -73.9612903 } }] });
    expect(fake.state.requests.at(-1)!.query).toEqual({ address: '277 Bedford Ave, Brooklyn, NY', key: fake.key.key });

    // The Routes API is outside the base URL: the plugin sends the key itself, in X-Goog-Api-Key.
    const route = await runner.invoke<Json>('google_maps', {
      kind: 'action',
      name: 'computeRoute',
      input: { origin: { address: '1600 Amphitheatre Parkway, Mountain View, CA' }, destination: { address: '277 Bedford Ave, Brooklyn, NY' } },
      context,
    });
    expect(route).toMatchObject({ found: true, travelMode: 'DRIVE', polyline: expect.any(String) });
    const routed = fake.state.requests.at(-1)!;
    expect(routed).toMatchObject({ method: 'POST', path: '/directions/v2:computeRoutes', query: {} });
    expect(routed.headers['x-goog-api-key']).toBe(fake.key.key);

    const routesOnly = fake.state.addKey({ restrictedTo: ['routes'] });
    await expect(runner.invoke('google_maps', { kind: 'verify', context: host.context({ apiKey: routesOnly.key }) })).rejects.toMatchObject({
      status: 422,
      code: 'provider_rejected',
      message: expect.stringContaining(
        'This API key cannot use the Geocoding API (REQUEST_DENIED: This API key is not authorized to use this service or API.)',
      ),
    });
  });
});
