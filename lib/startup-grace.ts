/**
 * Whether the event-loop delay measured now may still be the process's own start-up: true until
 * two sampling periods have passed since the app was ready (a sample that began during start-up
 * ends within one period, and its timer may fire up to one period late). The delay of a loop
 * blocked through a whole period has no sample at all, which under-pressure reads as infinite.
 */
export function startupGrace (readyAt: number | undefined, now: number, sampleIntervalMs: number): boolean {
  return readyAt === undefined || now - readyAt < 2 * sampleIntervalMs
}
