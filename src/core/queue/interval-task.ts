import { Logger } from '@nestjs/common';

/**
 * Periodic work each process does for itself: what must go on when Redis has lost every job (the
 * reconcilers) or concerns this process alone (flushing its counters). Work that must run once per
 * cluster is a MaintenanceScheduler task instead. A run never overlaps the previous one; a failed run
 * is logged and the next comes on time.
 */
export class IntervalTask {
  private readonly logger: Logger;
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly name: string,
    private readonly everyMs: number,
    private readonly work: () => Promise<unknown>,
  ) {
    this.logger = new Logger(name);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.run(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One run now, unless one is under way. */
  async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.work();
    } catch (error) {
      this.logger.warn({ err: error }, `${this.name} failed; trying again in ${this.everyMs} ms`);
    } finally {
      this.running = false;
    }
  }
}
