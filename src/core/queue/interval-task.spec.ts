import { IntervalTask } from './interval-task.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('IntervalTask', () => {
  it('runs on its interval, never two runs at once, and keeps going after a failure', async () => {
    let runs = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    const task = new IntervalTask('test.task', 10, async () => {
      runs++;
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      await sleep(25);
      concurrent--;
      if (runs === 1) throw new Error('first run fails');
    });
    task.start();
    // Waits for the runs rather than a fixed time: a loaded machine may fire the interval late.
    const deadline = Date.now() + 10_000;
    while (runs < 3 && Date.now() < deadline) await sleep(10);
    task.stop();
    const after = runs;
    await sleep(60);
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(maxConcurrent).toBe(1);
    expect(runs).toBe(after);
  });
});
