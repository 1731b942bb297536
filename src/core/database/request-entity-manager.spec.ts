import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { type EntityManager, MikroORM, RequestContext } from '@mikro-orm/postgresql';
import { RequestEntityManager, currentEntityManager } from './request-entity-manager.js';

describe('RequestEntityManager', () => {
  let orm: MikroORM;
  let forks: number;
  let middleware: RequestEntityManager;

  beforeAll(async () => {
    orm = await MikroORM.init({
      // Never connected: forking needs no database.
      clientUrl: process.env.TEST_DATABASE_URL,
      metadataProvider: ReflectMetadataProvider,
      entities: [],
      discovery: { warnWhenNoEntities: false },
      context: currentEntityManager,
    });
    const fork = orm.em.fork.bind(orm.em);
    orm.em.fork = (options) => {
      forks++;
      return fork(options);
    };
    middleware = new RequestEntityManager(orm);
  });
  beforeEach(() => (forks = 0));
  afterAll(() => orm.close());

  /** What `work` answers when it runs as the handler of a request. */
  const inRequest = <T>(work: () => T | Promise<T>) =>
    new Promise<T>((resolve, reject) => middleware.use({}, {}, () => void Promise.resolve().then(work).then(resolve, reject)));
  const resolved = (): EntityManager => orm.em.getContext();

  it('forks nothing for a request that does not use the EntityManager', async () => {
    await inRequest(async () => {
      await new Promise((resolve) => setImmediate(resolve));
    });
    expect(forks).toBe(0);
  });

  it("forks once on a request's first use, and the request keeps that fork across its awaits", async () => {
    const [first, later] = await inRequest(async () => {
      const first = resolved();
      await new Promise((resolve) => setImmediate(resolve));
      return [first, resolved()];
    });
    expect(first).toBe(later);
    expect(first).not.toBe(orm.em);
    expect(first.getContext()).toBe(first);
    expect(forks).toBe(1);
  });

  it('gives concurrent requests their own forks', async () => {
    const [a, b] = await Promise.all([inRequest(resolved), inRequest(resolved)]);
    expect(a).not.toBe(b);
    expect(forks).toBe(2);
  });

  it('lets a RequestContext made inside a request come first', async () => {
    const [outer, inner] = await inRequest(() => {
      const outer = resolved();
      const inner = RequestContext.create(orm.em, resolved);
      return [outer, inner];
    });
    expect(inner).not.toBe(outer);
    expect(inner).not.toBe(orm.em);
  });

  it('still refuses the global EntityManager outside any request', () => {
    expect(() => resolved()).toThrow(/global EntityManager/);
  });
});
