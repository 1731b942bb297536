import { createHash } from 'node:crypto';
import { createSchemaCompiler } from '../../src/modules/plugins/plugin-registry.js';
import type { PluginDefinition } from '../../src/sdk/index.js';
import { createHarness } from '../../src/sdk/testing.js';
import { googleApiKey, startFakeGoogleMaps, type FakeGoogleKey, type FakeGoogleMaps } from '../fixtures/providers/google-maps.js';
import { forwardTo, loadBundledPlugin, type Json } from '../support/bundled-plugins.js';

const MOUNTAIN_VIEW = '1600 Amphitheatre Parkway, Mountain View, CA';
const BROOKLYN = '277 Bedford Ave, Brooklyn, NY';

let plugin: PluginDefinition;
let maps: Json;
let fake: FakeGoogleMaps;

beforeAll(async () => {
  plugin = await loadBundledPlugin('google-maps');
  maps = plugin.providers[0];
  fake = await startFakeGoogleMaps();
});
afterAll(() => fake.close());

const harness = (key: string = fake.key.key, settings: Record<string, unknown> = {}) =>
  createHarness(plugin, { provider: 'google_maps', credentials: { apiKey: key }, settings, http: forwardTo(fake.origins) });

/** What the fake received since `before`. */
const since = (before: number) => fake.state.requests.slice(before);

/** The error a call fails with (the test fails when it succeeds). */
async function failure(call: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await call;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('the call succeeded');
}

/** Google's encoded polyline, decoded (https://developers.google.com/maps/documentation/utilities/polylinealgorithm). */
function decodePolyline(encoded: string): Array<[number, number]> {
  const points: Array<[number, number]> = [];
  let index = 0;
  let lat = 0;
  let lng = 0;
  const next = () => {
    let result = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = encoded.charCodeAt(index++) - 63;
      result |= (byte & 0x1f) << shift;
      shift += 5;
    } while (byte >= 0x20);
    return result & 1 ? ~(result >> 1) : result >> 1;
  };
  while (index < encoded.length) {
    lat += next();
    lng += next();
    points.push([lat / 1e5, lng / 1e5]);
  }
  return points;
}

describe('google_maps plugin', () => {
  it('declares a maps provider keyed by the key query parameter, with the Geocoding rate limit', () => {
    expect(maps).toMatchObject({
      id: 'google_maps',
      category: 'maps',
      baseUrl: 'https://maps.googleapis.com',
      auth: { type: 'api_key', apply: { query: { key: '{apiKey}' } } },
      rateLimits: [{ requests: 3000, windowMs: 60_000, scope: 'app', match: ['GET /maps/api/geocode/json'] }],
    });
    const ajv = createSchemaCompiler();
    const credentials = ajv.compile(maps.auth.credentialsSchema);
    expect(maps.auth.credentialsSchema.properties.apiKey.secret).toBe(true);
    expect(credentials({ apiKey: fake.key.key })).toBe(true);
    expect(credentials({ apiKey: 'not-a-google-key' })).toBe(false);
    expect(credentials({ apiKey: fake.key.key, extra: 1 })).toBe(false);

    const geocode = ajv.compile(maps.actions.geocode.inputSchema);
    expect(geocode({ address: MOUNTAIN_VIEW, components: { country: 'US', postalCode: '94043' }, language: 'en', region: 'us' })).toBe(true);
    expect(geocode({ address: '' })).toBe(false);
    expect(geocode({ address: 'x', components: { country: 'USA' } })).toBe(false);
    expect(geocode({ address: 'x', components: { locality: 'a|b' } })).toBe(false);
    expect(geocode({ address: 'x', bounds: '1,2' })).toBe(false);

    const reverse = ajv.compile(maps.actions.reverseGeocode.inputSchema);
    expect(reverse({ lat: 40.714224, lng: -73.961452, resultTypes: ['street_address'], locationTypes: ['ROOFTOP'] })).toBe(true);
    expect(reverse({ lat: 91, lng: 0 })).toBe(false);
    expect(reverse({ lat: 0, lng: 0, locationTypes: ['EXACT'] })).toBe(false);

    const batch = ajv.compile(maps.actions.geocodeBatch.inputSchema);
    expect(batch({ addresses: [MOUNTAIN_VIEW, BROOKLYN] })).toBe(true);
    expect(batch({ addresses: [] })).toBe(false);
    expect(batch({ addresses: Array.from({ length: 51 }, (_, index) => `${index} Main St`) })).toBe(false);

    const route = ajv.compile(maps.actions.computeRoute.inputSchema);
    expect(route({ origin: { address: MOUNTAIN_VIEW }, destination: { lat: 37.7749, lng: -122.4194 }, departureTime: '2030-01-01T08:00:00Z' })).toBe(true);
    expect(route({ origin: { placeId: 'ChIJj38IfwK6j4ARNcyPDnEGa9g' }, destination: { address: BROOKLYN }, travelMode: 'WALK' })).toBe(true);
    expect(route({ origin: { address: MOUNTAIN_VIEW, lat: 1, lng: 2 }, destination: { address: BROOKLYN } })).toBe(false);
    expect(route({ origin: { address: MOUNTAIN_VIEW }, destination: { address: BROOKLYN }, departureTime: 'tomorrow' })).toBe(false);
    expect(route({ origin: { address: MOUNTAIN_VIEW }, destination: { address: BROOKLYN }, travelMode: 'FLY' })).toBe(false);
  });

  it('verifies with one geocode of a fixed address, the key as the key parameter, and names the key by fingerprint only', async () => {
    const before = fake.state.requests.length;
    const result = await harness().verify();
    const fingerprint = createHash('sha256').update(fake.key.key).digest('hex').slice(0, 12);
    expect(result).toEqual({
      displayName: `Google Maps Platform (key sha256:${fingerprint})`,
      metadata: { keyFingerprint: fingerprint, geocodingApi: 'enabled', verifiedWith: 'OK' },
    });
    expect(JSON.stringify(result)).not.toContain(fake.key.key);
    const requests = since(before);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method: 'GET', path: '/maps/api/geocode/json', query: { address: MOUNTAIN_VIEW, key: fake.key.key } });
  });

  it('says clearly when the key may not use the Geocoding API, is unknown, or its project has no billing', async () => {
    const routesOnly = fake.state.addKey({ restrictedTo: ['routes'] });
    await expect(harness(routesOnly.key).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message:
        "This API key cannot use the Geocoding API (REQUEST_DENIED: This API key is not authorized to use this service or API.) Enable the Geocoding API for the key's Google Cloud project and, if the key has API restrictions, allow the Geocoding API.",
    });
    const notEnabled = fake.state.addKey({ enabledApis: ['routes'] });
    await expect(harness(notEnabled.key).verify()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('This API key cannot use the Geocoding API (REQUEST_DENIED: This API project is not authorized to use this API.)'),
    });
    const unknown = googleApiKey();
    const error = await failure(harness(unknown).verify());
    expect(error).toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('Google Maps refused the API key (REQUEST_DENIED: The provided API key is invalid.)'),
    });
    expect(error.message).not.toContain(unknown);
    const unbilled = fake.state.addKey({ billing: false });
    await expect(harness(unbilled.key).healthCheck()).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^Google Maps: billing is not enabled on the key's Google Cloud project \(REQUEST_DENIED: You must enable Billing/),
    });
  });

  it('answers OVER_DAILY_LIMIT and OVER_QUERY_LIMIT (HTTP 200) as rate limits, UNKNOWN_ERROR as an outage', async () => {
    const capped = fake.state.addKey();
    capped.project.dailyCapReached = true;
    await expect(harness(capped.key).healthCheck()).rejects.toMatchObject({
      code: 'provider_rate_limited',
      message: expect.stringContaining(
        "a daily limit is reached or the project's billing has a problem (OVER_DAILY_LIMIT: You have exceeded your daily request quota",
      ),
    });
    fake.state.overQueryLimit = 1;
    await expect(harness().action('geocode', { address: MOUNTAIN_VIEW })).rejects.toMatchObject({
      code: 'provider_rate_limited',
      message:
        "Google Maps: the project's Geocoding rate limit is reached (OVER_QUERY_LIMIT: You have exceeded your rate-limit for this API.). Try again in a moment.",
    });
    fake.state.unknownErrors = 1;
    const outage = await failure(harness().action('geocode', { address: MOUNTAIN_VIEW }));
    expect(outage).toBeInstanceOf(Error);
    expect(outage.code).toBeUndefined();
    expect(outage.message).toContain('UNKNOWN_ERROR');
    // The rate limit and the outage were one-offs: the next call succeeds.
    await expect(harness().action('geocode', { address: MOUNTAIN_VIEW })).resolves.toMatchObject({ status: 'OK' });
  });

  it('geocodes an address with components, and the language and region of the settings', async () => {
    const before = fake.state.requests.length;
    const result = await harness(fake.key.key, { language: 'en', region: 'US' }).action<Json>('geocode', {
      address: MOUNTAIN_VIEW,
      components: { country: 'US', postalCode: '94043' },
    });
    expect(since(before)[0].query).toEqual({
      address: MOUNTAIN_VIEW,
      components: 'country:US|postal_code:94043',
      language: 'en',
      region: 'us',
      key: fake.key.key,
    });
    expect(result).toEqual({
      status: 'OK',
      plusCode: null,
      results: [
        expect.objectContaining({
          placeId: 'ChIJj38IfwK6j4ARNcyPDnEGa9g',
          formattedAddress: 'Google Building 40, 1600 Amphitheatre Pkwy, Mountain View, CA 94043, USA',
          location: { lat: 37.422388, lng: -122.0841883 },
          locationType: 'ROOFTOP',
          types: ['premise'],
          partialMatch: false,
        }),
      ],
    });
    expect(result.results[0].addressComponents).toContainEqual({ longName: 'Amphitheatre Parkway', shortName: 'Amphitheatre Pkwy', types: ['route'] });
    // A country filter that excludes the place: the geocode succeeds with nothing.
    await expect(harness().action('geocode', { address: MOUNTAIN_VIEW, components: { country: 'FR' } })).resolves.toEqual({
      status: 'ZERO_RESULTS',
      results: [],
      plusCode: null,
    });
  });

  it('answers ZERO_RESULTS as an empty result, not an error', async () => {
    const billed = fake.state.billed.geocoding;
    await expect(harness().action('geocode', { address: '1 Nowhere Lane, Atlantis' })).resolves.toEqual({
      status: 'ZERO_RESULTS',
      results: [],
      plusCode: null,
    });
    expect(fake.state.billed.geocoding).toBe(billed + 1);
  });

  it('reverse-geocodes coordinates with result and location type filters, and refuses an invalid latlng the provider refuses', async () => {
    const before = fake.state.requests.length;
    const result = await harness().action<Json>('reverseGeocode', {
      lat: 40.714224,
      lng: -73.961452,
      resultTypes: ['street_address', 'premise'],
      locationTypes: ['ROOFTOP'],
    });
    expect(since(before)[0].query).toEqual({
      latlng: '40.714224,-73.961452',
      result_type: 'street_address|premise',
      location_type: 'ROOFTOP',
      key: fake.key.key,
    });
    expect(result).toMatchObject({ status: 'OK', plusCode: '87G8P27Q+MC', results: [{ formattedAddress: '277 Bedford Ave, Brooklyn, NY 11211, USA' }] });
    await expect(harness().action('reverseGeocode', { lat: 40.714224, lng: -73.961452, locationTypes: ['APPROXIMATE'] })).resolves.toMatchObject({
      status: 'ZERO_RESULTS',
      results: [],
    });
    // Past the schema (the harness does not validate input): Google's own INVALID_REQUEST becomes a refusal.
    await expect(harness().action('reverseGeocode', { lat: 123, lng: 0 })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: "Google Maps could not read the request (INVALID_REQUEST: Invalid request. Invalid 'latlng' parameter.)",
    });
  });

  it('geocodes a batch with one result per address, identical addresses once', async () => {
    const before = fake.state.requests.length;
    const result = await harness().action<Json>('geocodeBatch', {
      addresses: [MOUNTAIN_VIEW, '1 Nowhere Lane, Atlantis', MOUNTAIN_VIEW, BROOKLYN],
      region: 'us',
    });
    const sent = since(before);
    expect(sent.map((request) => request.query.address).sort()).toEqual([MOUNTAIN_VIEW, '1 Nowhere Lane, Atlantis', BROOKLYN].sort());
    expect(sent.every((request) => request.query.region === 'us')).toBe(true);
    expect(result.summary).toEqual({ ok: 3, zeroResults: 1, failed: 0, requests: 3 });
    expect(result.items.map((item: Json) => [item.index, item.address, item.status])).toEqual([
      [0, MOUNTAIN_VIEW, 'OK'],
      [1, '1 Nowhere Lane, Atlantis', 'ZERO_RESULTS'],
      [2, MOUNTAIN_VIEW, 'OK'],
      [3, BROOKLYN, 'OK'],
    ]);
    expect(result.items[3].results[0].placeId).toBe('ChIJd8BlQ2BZwokRAFUEcm_qrcA');
  });

  it('reports a throttled or failed address of a batch as that item’s error, and the others still succeed', async () => {
    fake.state.overQueryLimit = 1;
    const throttled = await harness().action<Json>('geocodeBatch', { addresses: [MOUNTAIN_VIEW, BROOKLYN, 'Eiffel Tower, Paris'] });
    const failed = throttled.items.filter((item: Json) => item.status === 'error');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ results: [], error: { code: 'rate_limited', message: expect.stringContaining('OVER_QUERY_LIMIT') } });
    expect(throttled.summary).toEqual({ ok: 2, zeroResults: 0, failed: 1, requests: 3 });

    fake.state.unknownErrors = 1;
    const flaky = await harness().action<Json>('geocodeBatch', { addresses: [MOUNTAIN_VIEW] });
    expect(flaky.items[0]).toMatchObject({ status: 'error', error: { code: 'provider_error', message: expect.stringContaining('UNKNOWN_ERROR') } });
  });

  it('fails a whole batch when Google refuses the key', async () => {
    const routesOnly = fake.state.addKey({ restrictedTo: ['routes'] });
    await expect(harness(routesOnly.key).action('geocodeBatch', { addresses: [MOUNTAIN_VIEW, BROOKLYN] })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('This API key cannot use the Geocoding API'),
    });
  });

  it('computes a route with the key and field mask headers, traffic-aware when leaving at a given time', async () => {
    const before = fake.state.requests.length;
    const departureTime = new Date(Date.now() + 3_600_000).toISOString();
    const result = await harness().action<Json>('computeRoute', {
      origin: { address: MOUNTAIN_VIEW },
      destination: { lat: 40.7142205, lng: -73.9612903 },
      departureTime,
    });
    const [request] = since(before);
    expect(request).toMatchObject({ method: 'POST', path: '/directions/v2:computeRoutes', query: {} });
    expect(request.headers['x-goog-api-key']).toBe(fake.key.key);
    expect(request.headers['x-goog-fieldmask']).toBe('routes.distanceMeters,routes.duration,routes.staticDuration,routes.polyline.encodedPolyline');
    expect(request.body).toEqual({
      origin: { address: MOUNTAIN_VIEW },
      destination: { location: { latLng: { latitude: 40.7142205, longitude: -73.9612903 } } },
      travelMode: 'DRIVE',
      routingPreference: 'TRAFFIC_AWARE',
      departureTime,
    });
    expect(result).toMatchObject({ found: true, travelMode: 'DRIVE', routingPreference: 'TRAFFIC_AWARE' });
    expect(result.distanceMeters).toBeGreaterThan(4_000_000);
    expect(result.durationSeconds).toBeGreaterThan(result.staticDurationSeconds);
    const points = decodePolyline(result.polyline);
    expect(points[0]).toEqual([37.42239, -122.08419]);
    expect(points.at(-1)).toEqual([40.71422, -73.96129]);
  });

  it('walks by place id without a routing preference, and reports no route as found: false', async () => {
    const before = fake.state.requests.length;
    const walk = await harness().action<Json>('computeRoute', {
      origin: { placeId: 'ChIJd8BlQ2BZwokRAFUEcm_qrcA' },
      destination: { lat: 40.7163, lng: -73.9596 },
      travelMode: 'WALK',
    });
    expect(since(before)[0].body).toEqual({
      origin: { placeId: 'ChIJd8BlQ2BZwokRAFUEcm_qrcA' },
      destination: { location: { latLng: { latitude: 40.7163, longitude: -73.9596 } } },
      travelMode: 'WALK',
    });
    expect(walk).toMatchObject({ found: true, travelMode: 'WALK', routingPreference: null });
    expect(walk.durationSeconds).toBe(walk.staticDurationSeconds);
    await expect(harness().action('computeRoute', { origin: { address: MOUNTAIN_VIEW }, destination: { address: 'Eiffel Tower, Paris' } })).resolves.toEqual({
      found: false,
      distanceMeters: null,
      durationSeconds: null,
      staticDurationSeconds: null,
      polyline: null,
      travelMode: 'DRIVE',
      routingPreference: null,
    });
  });

  it('refuses what the Routes API refuses, with its message, and its 429 as a rate limit', async () => {
    const route = { origin: { address: MOUNTAIN_VIEW }, destination: { address: BROOKLYN } };
    await expect(harness().action('computeRoute', { ...route, departureTime: '2020-01-01T00:00:00Z' })).rejects.toMatchObject({
      code: 'provider_rejected',
      message: 'Google Maps Routes API: Timestamp must be set to a future time. (INVALID_ARGUMENT)',
    });
    fake.state.routesThrottle = 1;
    await expect(harness().action('computeRoute', route)).rejects.toMatchObject({
      code: 'provider_rate_limited',
      message: expect.stringContaining("Quota exceeded for quota metric 'Compute Routes requests'"),
    });
    const geocodingOnly: FakeGoogleKey = fake.state.addKey({ restrictedTo: ['geocoding'] });
    await expect(harness(geocodingOnly.key).action('computeRoute', route)).rejects.toMatchObject({
      code: 'provider_rejected',
      message:
        "This API key may not use the Routes API (Requests to this API routes.googleapis.com method google.maps.routing.v2.Routes.ComputeRoutes are blocked.). Allow the Routes API in the key's API restrictions.",
    });
    const noRoutes = fake.state.addKey({ enabledApis: ['geocoding'] });
    await expect(harness(noRoutes.key).action('computeRoute', route)).rejects.toMatchObject({
      code: 'provider_rejected',
      message: expect.stringMatching(/^The Routes API is not enabled for the key's Google Cloud project: Routes API has not been used in project \d+/),
    });
    const unknown = googleApiKey();
    const error = await failure(harness(unknown).action('computeRoute', route));
    expect(error).toMatchObject({
      code: 'provider_rejected',
      message: expect.stringContaining('Google Maps refused the API key (API key not valid. Please pass a valid API key.)'),
    });
    expect(error.message).not.toContain(unknown);
  });

  it('refuses a routing preference for modes without traffic before calling Google', async () => {
    const before = fake.state.requests.length;
    await expect(
      harness().action('computeRoute', {
        origin: { address: MOUNTAIN_VIEW },
        destination: { address: BROOKLYN },
        travelMode: 'BICYCLE',
        routingPreference: 'TRAFFIC_AWARE',
      }),
    ).rejects.toMatchObject({ code: 'provider_rejected', message: 'routingPreference applies only to DRIVE and TWO_WHEELER routes, not BICYCLE.' });
    expect(fake.state.requests.length).toBe(before);
  });
});
