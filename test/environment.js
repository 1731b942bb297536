// The test environment of every suite: Node's, with this Jest worker's own database and Redis key
// prefix (made by global-setup.js for each worker), so suites running side by side never see each
// other's rows, queues or jobs. They are set on the worker's real environment before Jest copies it
// for the suite, so the processes a test starts get them too.
import { TestEnvironment } from 'jest-environment-node';

export default class WorkerEnvironment extends TestEnvironment {
  constructor(config, context) {
    const worker = process.env.JEST_WORKER_ID ?? '1';
    const url = new URL(process.env.TEST_RUN_DATABASE_URL);
    url.pathname = `/${process.env.TEST_RUN_DATABASE}_w${worker}`;
    process.env.TEST_DATABASE_URL = url.toString();
    process.env.TEST_DATABASE_NAME = `${process.env.TEST_RUN_DATABASE}_w${worker}`;
    process.env.TEST_QUEUE_PREFIX = `${process.env.TEST_RUN_QUEUE_PREFIX}w${worker}`;
    super(config, context);
  }
}
