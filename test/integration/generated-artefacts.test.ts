import { readFileSync } from 'node:fs';
import { MikroORM } from '@mikro-orm/postgresql';
import { Validator } from '@seriousme/openapi-schema-validator';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { buildOpenApiDocument } from '../../src/core/openapi/openapi.js';
import { startTestApp, TestApp } from '../support/test-app.js';

describe('generated artefacts match the code', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('the committed openapi.json is what the code generates (run `npm run openapi` after API changes)', () => {
    const committed = JSON.parse(readFileSync('openapi.json', 'utf8'));
    const generated = JSON.parse(JSON.stringify(buildOpenApiDocument(t.app)));
    expect(generated).toEqual(committed);
  });

  it("the TypeScript client's committed types are what openapi-typescript makes of it (run `npm run openapi`, which regenerates them)", async () => {
    const document = JSON.parse(JSON.stringify(buildOpenApiDocument(t.app))) as Parameters<typeof openapiTS>[0];
    const generated = `${COMMENT_HEADER}${astToString(await openapiTS(document, { silent: true }))}`;
    const committed = readFileSync('clients/typescript/src/generated/openapi.ts', 'utf8');
    expect(generated === committed).toBe(true);
  });

  it('serves a valid OpenAPI 3.1 document at /openapi.json, Swagger UI at /docs and ReDoc at /reference', async () => {
    const response = await t.http.get('/openapi.json');
    expect(response.status).toBe(200);
    expect(response.body.openapi).toBe('3.1.0');
    const result = await new Validator().validate(response.body);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const docs = await t.http.get('/docs/');
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger-ui');
    const reference = await t.http.get('/reference');
    expect(reference.status).toBe(200);
    expect(reference.text).toContain('<redoc spec-url="../openapi.json"');
    const bundle = await t.http.get('/reference/redoc.standalone.js');
    expect([bundle.status, bundle.headers['content-type']]).toEqual([200, expect.stringContaining('javascript')]);
  });

  it('the committed migrations produce exactly the schema the entities describe', async () => {
    const needsMigration = await t.app.get(MikroORM).migrator.checkSchema();
    expect(needsMigration).toBe(false);
  });
});
