import { IntervalTask } from './interval-task.js';

describe('IntervalTask', () => {
  it('runs on its interval, never two runs at once, and keeps going after a failure', async () => {
    let runs = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    const task = new IntervalTask('test.task', 10, async () => {
      runs++;
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      await new Promise((resolve) => setTimeout(resolve, 25));
      concurrent--;
      if (runs === 1) throw new Error('first run fails');
    });
    task.start();
    await new Promise((resolve) => setTimeout(resolve, 150));
    task.stop();
    const after = runs;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(maxConcurrent).toBe(1);
    expect(runs).toBe(after);
  });
});
