/**
 * Writes items in batches that form on their own under load: an item is written at once while fewer
 * than `concurrency` writes are under way; otherwise it waits, and the next write takes the waiting
 * items, oldest first, up to `maxBatch` of them and `maxWeight` in all (an item heavier than that goes
 * alone), in one statement: one round trip and one commit for many. An idle system writes each item
 * alone, as soon as it comes.
 *
 * When a batch of several fails on its data (SQLSTATE classes 22 and 23), each item is written again
 * alone, so one item's failure is only its own; any other failure (the database unreachable) is every
 * item's.
 */
export class BatchWriter<T> {
  private readonly waiting: Array<{ item: T; weight: number; resolve: () => void; reject: (error: unknown) => void }> = [];
  private writing = 0;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly options: { concurrency: number; maxBatch: number; maxWeight: number },
  ) {}

  /** Resolves once the item is written (committed), or rejects with the reason it was not. */
  submit(item: T, weight: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, weight, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    while (this.writing < this.options.concurrency && this.waiting.length > 0) {
      let count = 1;
      let weight = this.waiting[0].weight;
      while (count < Math.min(this.waiting.length, this.options.maxBatch) && weight + this.waiting[count].weight <= this.options.maxWeight) {
        weight += this.waiting[count].weight;
        count += 1;
      }
      const batch = this.waiting.splice(0, count);
      this.writing += 1;
      void this.flush(batch).finally(() => {
        this.writing -= 1;
        this.next();
      });
    }
  }

  private async flush(batch: typeof this.waiting): Promise<void> {
    try {
      await this.write(batch.map((entry) => entry.item));
      for (const entry of batch) entry.resolve();
    } catch (error) {
      if (batch.length === 1 || !isDataError(error)) {
        for (const entry of batch) entry.reject(error);
        return;
      }
      for (const entry of batch) {
        await this.write([entry.item]).then(entry.resolve, entry.reject);
      }
    }
  }
}

/** A PostgreSQL error about the values written (data exception, integrity constraint violation). */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23]/.test(code);
}
