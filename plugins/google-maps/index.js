// Google Maps Platform provider for Plugboard, written against the Geocoding API reference (https://developers.google.com/maps/documentation/geocoding/requests-geocoding, its status codes and usage limits) and the Routes API v2 computeRoutes reference (https://developers.google.com/maps/documentation/routes/reference/rest/v2/TopLevel/computeRoutes).
import { createHash } from 'node:crypto';
import { definePlugin, ProviderRejectedError, readJson } from 'plugboard/sdk';

/**
 * @typedef {{ apiKey: string }} GoogleMapsCredentials
 * @typedef {{ language?: string, region?: string }} GoogleMapsSettings
 * @typedef {import('plugboard/sdk').PluginContext<GoogleMapsCredentials, GoogleMapsSettings>} GoogleMapsContext
 *
 * The Geocoding API's answer: always HTTP 200, what happened is in `status` (and `error_message`).
 * @typedef {{ status: string, results?: GeocodingResult[], error_message?: string, plus_code?: { global_code?: string, compound_code?: string } }} GeocodingResponse
 * @typedef {{
 *   place_id?: string,
 *   formatted_address?: string,
 *   geometry?: { location?: { lat: number, lng: number }, location_type?: string },
 *   types?: string[],
 *   partial_match?: boolean,
 *   address_components?: Array<{ long_name: string, short_name: string, types?: string[] }>,
 * }} GeocodingResult
 *
 * Google's standard error envelope (the Routes API): `{ error: { code, message, status, details: [{ '@type', reason, ... }] } }`.
 * @typedef {{ code?: number, message?: string, status?: string, details?: Array<{ '@type'?: string, reason?: string }> }} GoogleError
 */

const GEOCODE_PATH = '/maps/api/geocode/json';
const ROUTES_URL = 'https://routes.googleapis.com/directions/v2:computeRoutes';
/** computeRoutes answers nothing without a field mask: only what this plugin returns is asked for. */
const ROUTES_FIELD_MASK = 'routes.distanceMeters,routes.duration,routes.staticDuration,routes.polyline.encodedPolyline';
/** The address of the Geocoding API's own documentation example: what verify and the health check geocode. */
const VERIFY_ADDRESS = '1600 Amphitheatre Parkway, Mountain View, CA';
const MAX_BATCH = 50;
/** Addresses of a batch geocoded at a time. */
const BATCH_CONCURRENCY = 5;
const TRAFFIC_MODES = new Set(['DRIVE', 'TWO_WHEELER']);

/**
 * What each Geocoding status means (https://developers.google.com/maps/documentation/geocoding/requests-geocoding#StatusCodes):
 * ZERO_RESULTS is a successful geocode that found nothing, not an error.
 */
const GEOCODING_STATUSES = {
  OK: 'ok',
  ZERO_RESULTS: 'ok',
  REQUEST_DENIED: 'rejected',
  INVALID_REQUEST: 'rejected',
  OVER_QUERY_LIMIT: 'rate_limited',
  OVER_DAILY_LIMIT: 'rate_limited',
  UNKNOWN_ERROR: 'outage',
};

const isGeocodingAnswer = (body) => body !== null && typeof body === 'object' && typeof body.status === 'string' && Object.hasOwn(GEOCODING_STATUSES, body.status);

/**
 * A Geocoding refusal as a message a person can act on, with Google's own `error_message`.
 * @param {string} status
 * @param {string | undefined} said
 */
function describeGeocoding(status, said) {
  const message = typeof said === 'string' && said.trim() ? said.trim() : undefined;
  switch (status) {
    case 'REQUEST_DENIED':
      if (message && /not authorized to use this (service or )?api|project is not authorized/i.test(message)) {
        return `This API key cannot use the Geocoding API (REQUEST_DENIED: ${message}) Enable the Geocoding API for the key's Google Cloud project and, if the key has API restrictions, allow the Geocoding API.`;
      }
      if (message && /billing/i.test(message)) {
        return `Google Maps: billing is not enabled on the key's Google Cloud project (REQUEST_DENIED: ${message})`;
      }
      if (message && /api key is invalid|must use an api key/i.test(message)) {
        return `Google Maps refused the API key (REQUEST_DENIED: ${message}) Check the key under APIs & Services → Credentials in the Google Cloud console.`;
      }
      return `Google Maps refused the request (REQUEST_DENIED${message ? `: ${message}` : ''})`;
    case 'INVALID_REQUEST':
      return `Google Maps could not read the request (INVALID_REQUEST${message ? `: ${message}` : ''})`;
    case 'OVER_QUERY_LIMIT':
      return `Google Maps: the project's Geocoding rate limit is reached (OVER_QUERY_LIMIT${message ? `: ${message}` : ''}). Try again in a moment.`;
    case 'OVER_DAILY_LIMIT':
      return `Google Maps: a daily limit is reached or the project's billing has a problem (OVER_DAILY_LIMIT${message ? `: ${message}` : ''}). Check the billing account and the Geocoding API's daily quota in the Google Cloud console.`;
    case 'UNKNOWN_ERROR':
      return 'Google Maps could not process the request (UNKNOWN_ERROR); it may succeed if tried again.';
    default:
      return message;
  }
}

/**
 * A Routes API error (Google's standard envelope) as a message a person can act on.
 * @param {GoogleError | undefined} error
 */
function describeGoogleError(error) {
  if (!error || typeof error !== 'object') return undefined;
  const message = typeof error.message === 'string' && error.message.trim() ? error.message.trim() : undefined;
  const reason = (Array.isArray(error.details) ? error.details : []).map((detail) => detail?.reason).find((value) => typeof value === 'string');
  switch (reason) {
    case 'API_KEY_INVALID':
      return `Google Maps refused the API key (${message ?? 'API key not valid'}). Check the key under APIs & Services → Credentials in the Google Cloud console.`;
    case 'SERVICE_DISABLED':
      return `The Routes API is not enabled for the key's Google Cloud project: ${message ?? 'SERVICE_DISABLED'}`;
    case 'API_KEY_SERVICE_BLOCKED':
      return `This API key may not use the Routes API (${message ?? 'API_KEY_SERVICE_BLOCKED'}). Allow the Routes API in the key's API restrictions.`;
  }
  if (!message) return undefined;
  return `Google Maps Routes API: ${message}${typeof error.status === 'string' ? ` (${error.status})` : ''}`;
}

/**
 * How the provider's answers read: Geocoding answers HTTP 200 whatever happened, so `classify` reads
 * their `status`; the Routes API uses HTTP statuses and Google's error envelope.
 */
const errors = {
  message: (body) => (isGeocodingAnswer(body) ? describeGeocoding(body.status, body.error_message) : describeGoogleError(body?.error)),
  classify: (body) => (isGeocodingAnswer(body) ? GEOCODING_STATUSES[body.status] : undefined),
};

/** The Routes API's errors: statuses mean what they say. */
const routesErrors = { message: (body) => describeGoogleError(body?.error) };

/**
 * One Geocoding API request (the host adds `key`). Answers the body when its status is OK or
 * ZERO_RESULTS; otherwise throws what the status means, with `geocodingStatus` on the error.
 * @param {GoogleMapsContext} ctx
 * @param {Record<string, string>} params
 * @returns {Promise<GeocodingResponse>}
 */
async function geocodeRequest(ctx, params) {
  const response = await ctx.http(`${GEOCODE_PATH}?${new URLSearchParams(params)}`, { headers: { accept: 'application/json' } });
  let status;
  try {
    const body = await readJson(response, ctx, {
      ...errors,
      classify: (answer, httpStatus) => {
        if (isGeocodingAnswer(answer)) status = answer.status;
        return errors.classify(answer, httpStatus);
      },
    });
    if (!isGeocodingAnswer(body)) throw new Error('the Geocoding API answered without a status');
    return body;
  } catch (error) {
    if (status && error && typeof error === 'object') Object.assign(error, { geocodingStatus: status });
    throw error;
  }
}

/** @param {GeocodingResult} result */
function placeOf(result) {
  const location = result.geometry?.location;
  return {
    placeId: result.place_id ?? null,
    formattedAddress: result.formatted_address ?? null,
    location: location ? { lat: Number(location.lat), lng: Number(location.lng) } : null,
    locationType: result.geometry?.location_type ?? null,
    types: Array.isArray(result.types) ? result.types : [],
    partialMatch: result.partial_match === true,
    addressComponents: (Array.isArray(result.address_components) ? result.address_components : []).map((component) => ({
      longName: component.long_name,
      shortName: component.short_name,
      types: Array.isArray(component.types) ? component.types : [],
    })),
  };
}

/** @param {GeocodingResponse} body */
function geocodeResult(body) {
  return {
    status: body.status,
    results: (Array.isArray(body.results) ? body.results : []).map(placeOf),
    plusCode: body.plus_code?.global_code ?? null,
  };
}

/** language and region: the input's, else the connection's defaults. @param {GoogleMapsContext} ctx */
function localisation(ctx, input) {
  const language = input.language ?? ctx.settings?.language;
  const region = input.region ?? ctx.settings?.region;
  return { ...(language ? { language } : {}), ...(region ? { region: region.toLowerCase() } : {}) };
}

/** The `components` filter: `country:US|postal_code:94043`. */
function componentFilter(components = {}) {
  const names = { country: 'country', postalCode: 'postal_code', locality: 'locality', administrativeArea: 'administrative_area', route: 'route' };
  return Object.entries(names)
    .filter(([key]) => typeof components[key] === 'string' && components[key])
    .map(([key, name]) => `${name}:${components[key]}`)
    .join('|');
}

/** @param {GoogleMapsContext} ctx */
async function geocode(ctx, input) {
  const components = componentFilter(input.components);
  const body = await geocodeRequest(ctx, { address: input.address, ...(components ? { components } : {}), ...localisation(ctx, input) });
  return geocodeResult(body);
}

/** One failed item of a batch. */
const failedItem = (index, address, code, message) => ({ index, address, status: 'error', results: [], error: { code, message } });

/**
 * Geocodes up to 50 addresses, a few at a time (identical addresses once), each with its own
 * outcome. A refusal of the key or the project (REQUEST_DENIED, OVER_DAILY_LIMIT) fails the whole
 * call, since no address can succeed; once Google answers OVER_QUERY_LIMIT the rest is not sent.
 * @param {GoogleMapsContext} ctx
 * @param {{ addresses: string[], language?: string, region?: string }} input
 */
async function geocodeBatch(ctx, input) {
  const addresses = input.addresses;
  const unique = [...new Set(addresses)];
  const outcomes = new Map();
  const params = localisation(ctx, input);
  let fatal;
  let throttled = false;
  let sent = 0;
  let next = 0;
  const worker = async () => {
    while (next < unique.length && !fatal) {
      const address = unique[next++];
      if (throttled) {
        outcomes.set(address, { code: 'rate_limited', message: 'Not sent: Google Maps answered OVER_QUERY_LIMIT earlier in this batch.' });
        continue;
      }
      try {
        sent += 1;
        outcomes.set(address, { body: await geocodeRequest(ctx, { address, ...params }) });
      } catch (error) {
        const status = error?.geocodingStatus;
        // A refused key or project, or the call's deadline: no further address can succeed.
        if (status === 'REQUEST_DENIED' || status === 'OVER_DAILY_LIMIT' || ctx.signal.aborted) {
          fatal ??= error;
          return;
        }
        if (status === 'OVER_QUERY_LIMIT' || error?.code === 'provider_rate_limited') {
          throttled = true;
          outcomes.set(address, { code: 'rate_limited', message: error.message });
        } else if (status === 'INVALID_REQUEST' || error?.code === 'provider_rejected') {
          outcomes.set(address, { code: 'invalid_request', message: error.message });
        } else {
          outcomes.set(address, { code: 'provider_error', message: error instanceof Error ? error.message : String(error) });
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, unique.length) }, worker));
  if (fatal) throw fatal;
  const items = addresses.map((address, index) => {
    const outcome = outcomes.get(address);
    return outcome.body ? { index, address, ...geocodeResult(outcome.body) } : failedItem(index, address, outcome.code, outcome.message);
  });
  const count = (status) => items.filter((item) => item.status === status).length;
  return { items, summary: { ok: count('OK'), zeroResults: count('ZERO_RESULTS'), failed: count('error'), requests: sent } };
}

/** A Routes API waypoint: an address, a place id, or coordinates. */
function waypoint(point) {
  if (typeof point.address === 'string') return { address: point.address };
  if (typeof point.placeId === 'string') return { placeId: point.placeId };
  return { location: { latLng: { latitude: point.lat, longitude: point.lng } } };
}

/** `"165s"` (protobuf Duration in JSON) as seconds. */
function seconds(duration) {
  const match = /^(\d+(?:\.\d+)?)s$/.exec(typeof duration === 'string' ? duration : '');
  return match ? Number(match[1]) : null;
}

/**
 * computeRoutes with the API key in `X-Goog-Api-Key` (the Routes API lives on its own origin, outside the
 * base URL the host applies the key to) and the field mask it requires.
 * @param {GoogleMapsContext} ctx
 */
async function computeRoute(ctx, input) {
  const apiKey = ctx.credentials?.apiKey;
  if (typeof apiKey !== 'string' || !apiKey) throw new ProviderRejectedError('No Google Maps API key: connect again with a key.');
  const travelMode = input.travelMode ?? 'DRIVE';
  if (input.routingPreference && !TRAFFIC_MODES.has(travelMode)) {
    throw new ProviderRejectedError(`routingPreference applies only to DRIVE and TWO_WHEELER routes, not ${travelMode}.`);
  }
  // A departure time only changes a route when traffic is taken into account.
  const routingPreference = input.routingPreference ?? (input.departureTime && TRAFFIC_MODES.has(travelMode) ? 'TRAFFIC_AWARE' : undefined);
  const language = input.languageCode ?? ctx.settings?.language;
  const body = {
    origin: waypoint(input.origin),
    destination: waypoint(input.destination),
    travelMode,
    ...(routingPreference ? { routingPreference } : {}),
    ...(input.departureTime ? { departureTime: new Date(input.departureTime).toISOString() } : {}),
    ...(language ? { languageCode: language } : {}),
    ...(input.units ? { units: input.units } : {}),
  };
  const response = await ctx.http(ROUTES_URL, {
    method: 'POST',
    headers: { accept: 'application/json', 'content-type': 'application/json', 'X-Goog-Api-Key': apiKey, 'X-Goog-FieldMask': ROUTES_FIELD_MASK },
    body,
  });
  const answer = await readJson(response, ctx, routesErrors);
  const [route] = Array.isArray(answer?.routes) ? answer.routes : [];
  return {
    // An answer without routes means Google found no route between the two points.
    found: Boolean(route),
    distanceMeters: route ? Number(route.distanceMeters ?? 0) : null,
    durationSeconds: route ? seconds(route.duration) : null,
    staticDurationSeconds: route ? seconds(route.staticDuration) : null,
    polyline: route?.polyline?.encodedPolyline ?? null,
    travelMode,
    routingPreference: routingPreference ?? null,
  };
}

/** Which key is connected, without the key: the start of its SHA-256. @param {GoogleMapsContext} ctx */
const keyFingerprint = (ctx) => createHash('sha256').update(String(ctx.credentials?.apiKey ?? '')).digest('hex').slice(0, 12);

// --- schemas -------------------------------------------------------------------------------------

const LANGUAGE = { type: 'string', pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$', maxLength: 35, description: 'Language of the results (e.g. en, fr, pt-BR)' };
const REGION = { type: 'string', pattern: '^[A-Za-z]{2}$', description: 'Region bias as a ccTLD code (e.g. us, uk, fr)' };
const ADDRESS = { type: 'string', minLength: 1, maxLength: 2048, pattern: '\\S', description: 'The address, as written for the postal service of its country' };
const LAT = { type: 'number', minimum: -90, maximum: 90 };
const LNG = { type: 'number', minimum: -180, maximum: 180 };
const COMPONENT = { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^|:]+$' };

const WAYPOINT = {
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['address'], properties: { address: ADDRESS } },
    { type: 'object', additionalProperties: false, required: ['placeId'], properties: { placeId: { type: 'string', pattern: '^[A-Za-z0-9_-]{10,1024}$', description: 'A Google place id' } } },
    { type: 'object', additionalProperties: false, required: ['lat', 'lng'], properties: { lat: LAT, lng: LNG } },
  ],
  description: 'An address, a place id, or coordinates',
};

const PLACE = {
  type: 'object',
  properties: {
    placeId: { type: ['string', 'null'] },
    formattedAddress: { type: ['string', 'null'] },
    location: { type: ['object', 'null'], properties: { lat: { type: 'number' }, lng: { type: 'number' } } },
    locationType: { type: ['string', 'null'], description: 'ROOFTOP, RANGE_INTERPOLATED, GEOMETRIC_CENTER or APPROXIMATE' },
    types: { type: 'array', items: { type: 'string' } },
    partialMatch: { type: 'boolean' },
    addressComponents: {
      type: 'array',
      items: { type: 'object', properties: { longName: { type: 'string' }, shortName: { type: 'string' }, types: { type: 'array', items: { type: 'string' } } } },
    },
  },
};

const GEOCODE_OUTPUT = {
  type: 'object',
  required: ['status', 'results'],
  properties: {
    status: { type: 'string', enum: ['OK', 'ZERO_RESULTS'], description: 'ZERO_RESULTS: nothing matched (no error)' },
    results: { type: 'array', items: PLACE },
    plusCode: { type: ['string', 'null'] },
  },
};

export default definePlugin({
  providers: [
    {
      id: 'google_maps',
      name: 'Google Maps Platform',
      category: 'maps',
      description: 'Geocode and reverse-geocode addresses (one at a time or up to 50 in a batch) and compute routes with distance, travel time and polyline, with your Google Maps Platform API key.',
      auth: {
        type: 'api_key',
        credentialsSchema: {
          type: 'object',
          required: ['apiKey'],
          additionalProperties: false,
          properties: {
            apiKey: {
              type: 'string',
              title: 'API key',
              description:
                'A Google Maps Platform API key (AIza…) from APIs & Services → Credentials, in a project with billing and the Geocoding API (and the Routes API for routes) enabled. Use a key restricted to those APIs, without application restrictions, since requests come from this server.',
              pattern: '^AIza[0-9A-Za-z_-]{35}$',
              secret: true,
            },
          },
        },
        apply: { query: { key: '{apiKey}' } },
      },
      settingsSchema: {
        type: 'object',
        additionalProperties: false,
        properties: {
          language: { ...LANGUAGE, title: 'Language', description: 'Language of geocoding results and route text when a call names none (e.g. en, fr)' },
          region: { ...REGION, title: 'Region', description: 'Region geocoding prefers when a call names none, as a ccTLD code (e.g. us, uk)' },
        },
      },
      baseUrl: 'https://maps.googleapis.com',
      errors,
      // Geocoding API: 3,000 queries per minute per Google Cloud project (client- and server-side queries
      // together). Projects are not visible from a key, so the budget is shared by every connection of this
      // installation. The Routes API (3,000 computeRoutes requests per minute per project) is on its own
      // origin, outside the base URL these budgets apply to: its 429 RESOURCE_EXHAUSTED becomes a rate limit.
      rateLimits: [{ requests: 3000, windowMs: 60_000, scope: 'app', match: [`GET ${GEOCODE_PATH}`] }],

      /**
       * One Geocoding request for a fixed address (billed as one Geocoding request, like any other): it
       * proves the key works and may use the Geocoding API, and says clearly when it may not.
       * @param {GoogleMapsContext} ctx
       */
      async verify(ctx) {
        const body = await geocodeRequest(ctx, { address: VERIFY_ADDRESS });
        const fingerprint = keyFingerprint(ctx);
        return {
          displayName: `Google Maps Platform (key sha256:${fingerprint})`,
          metadata: { keyFingerprint: fingerprint, geocodingApi: 'enabled', verifiedWith: body.status },
        };
      },

      /** The same single geocode: Google Maps has no free authenticated call. @param {GoogleMapsContext} ctx */
      async healthCheck(ctx) {
        await geocodeRequest(ctx, { address: VERIFY_ADDRESS });
      },

      actions: {
        geocode: {
          description: 'Finds the coordinates of an address (Geocoding API). ZERO_RESULTS with an empty list when nothing matches.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['address'],
            properties: {
              address: ADDRESS,
              components: {
                type: 'object',
                additionalProperties: false,
                minProperties: 1,
                description: 'Restricts results (country, postal code) or biases them (locality, administrative area, route)',
                properties: {
                  country: { type: 'string', pattern: '^[A-Za-z]{2}$', description: 'ISO 3166-1 country code' },
                  postalCode: COMPONENT,
                  locality: COMPONENT,
                  administrativeArea: COMPONENT,
                  route: COMPONENT,
                },
              },
              language: LANGUAGE,
              region: REGION,
            },
          },
          outputSchema: GEOCODE_OUTPUT,
          /** @param {GoogleMapsContext} ctx */
          run: (ctx, input) => geocode(ctx, input),
        },
        reverseGeocode: {
          description: 'Finds the addresses at a latitude and longitude (Geocoding API, reverse). ZERO_RESULTS with an empty list when there are none.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['lat', 'lng'],
            properties: {
              lat: LAT,
              lng: LNG,
              resultTypes: {
                type: 'array',
                minItems: 1,
                maxItems: 20,
                uniqueItems: true,
                items: { type: 'string', pattern: '^[a-z_0-9]{2,40}$' },
                description: 'Only results of these address types (e.g. street_address, locality, postal_code)',
              },
              locationTypes: {
                type: 'array',
                minItems: 1,
                uniqueItems: true,
                items: { type: 'string', enum: ['ROOFTOP', 'RANGE_INTERPOLATED', 'GEOMETRIC_CENTER', 'APPROXIMATE'] },
                description: 'Only results of these location types',
              },
              language: LANGUAGE,
            },
          },
          outputSchema: GEOCODE_OUTPUT,
          /** @param {GoogleMapsContext} ctx */
          async run(ctx, input) {
            const language = input.language ?? ctx.settings?.language;
            const body = await geocodeRequest(ctx, {
              latlng: `${input.lat},${input.lng}`,
              ...(input.resultTypes ? { result_type: input.resultTypes.join('|') } : {}),
              ...(input.locationTypes ? { location_type: input.locationTypes.join('|') } : {}),
              ...(language ? { language } : {}),
            });
            return geocodeResult(body);
          },
        },
        geocodeBatch: {
          description: `Geocodes up to ${MAX_BATCH} addresses, each with its own result or error (identical addresses are geocoded once). A refused key fails the whole call.`,
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['addresses'],
            properties: {
              addresses: { type: 'array', minItems: 1, maxItems: MAX_BATCH, items: ADDRESS },
              language: LANGUAGE,
              region: REGION,
            },
          },
          outputSchema: {
            type: 'object',
            required: ['items', 'summary'],
            properties: {
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['index', 'address', 'status', 'results'],
                  properties: {
                    index: { type: 'integer' },
                    address: { type: 'string' },
                    status: { type: 'string', enum: ['OK', 'ZERO_RESULTS', 'error'] },
                    results: { type: 'array', items: PLACE },
                    plusCode: { type: ['string', 'null'] },
                    error: {
                      type: 'object',
                      properties: { code: { type: 'string', enum: ['invalid_request', 'rate_limited', 'provider_error'] }, message: { type: 'string' } },
                    },
                  },
                },
              },
              summary: {
                type: 'object',
                properties: { ok: { type: 'integer' }, zeroResults: { type: 'integer' }, failed: { type: 'integer' }, requests: { type: 'integer' } },
              },
            },
          },
          /** @param {GoogleMapsContext} ctx */
          run: (ctx, input) => geocodeBatch(ctx, input),
        },
        computeRoute: {
          description:
            'Computes a route (Routes API computeRoutes): distance in meters, travel time in seconds (with traffic when driving with a departure time) and the encoded polyline. found is false when there is no route.',
          inputSchema: {
            type: 'object',
            additionalProperties: false,
            required: ['origin', 'destination'],
            properties: {
              origin: WAYPOINT,
              destination: WAYPOINT,
              departureTime: { type: 'string', format: 'date-time', description: 'When to leave; in the future (only transit routes may start in the past)' },
              travelMode: { type: 'string', enum: ['DRIVE', 'BICYCLE', 'WALK', 'TWO_WHEELER', 'TRANSIT'], default: 'DRIVE' },
              routingPreference: {
                type: 'string',
                enum: ['TRAFFIC_UNAWARE', 'TRAFFIC_AWARE', 'TRAFFIC_AWARE_OPTIMAL'],
                description: 'DRIVE and TWO_WHEELER only; TRAFFIC_AWARE by default when a departure time is given',
              },
              languageCode: LANGUAGE,
              units: { type: 'string', enum: ['METRIC', 'IMPERIAL'] },
            },
          },
          outputSchema: {
            type: 'object',
            required: ['found', 'distanceMeters', 'durationSeconds', 'polyline'],
            properties: {
              found: { type: 'boolean' },
              distanceMeters: { type: ['integer', 'null'] },
              durationSeconds: { type: ['number', 'null'], description: 'With traffic when the routing preference is traffic aware' },
              staticDurationSeconds: { type: ['number', 'null'], description: 'Without traffic' },
              polyline: { type: ['string', 'null'], description: 'Encoded polyline (Google polyline algorithm)' },
              travelMode: { type: 'string' },
              routingPreference: { type: ['string', 'null'] },
            },
          },
          /** @param {GoogleMapsContext} ctx */
          run: (ctx, input) => computeRoute(ctx, input),
        },
      },
    },
  ],
});
