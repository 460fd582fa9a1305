/**
 * Order of queues for one pull. Priority (default): always the listed order, so a task in the
 * first queue always wins. Fairness (--order-fairness): round-robin, starting after the queue
 * that served last, so a busy first queue cannot starve the others.
 */
export function orderQueuesForPull<T>(queues: readonly T[], fairness: boolean, lastServedIndex: number | null): T[] {
  if (!fairness || lastServedIndex === null || queues.length === 0) return [...queues];
  const start = (lastServedIndex + 1) % queues.length;
  return [...queues.slice(start), ...queues.slice(0, start)];
}
