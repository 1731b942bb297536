import { Logger } from 'nestjs-pino';

/** Contexts of Nest's per-module and per-route start-up lines: over a hundred of them, useful when debugging. */
const START_UP_DETAIL = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** Nest's logger through pino, with its start-up detail at debug instead of info. */
export class NestLogger extends Logger {
  override log(message: unknown, ...optionalParams: unknown[]): void {
    if (START_UP_DETAIL.has(optionalParams.at(-1) as string)) this.debug(message, ...optionalParams);
    else super.log(message, ...optionalParams);
  }
}
