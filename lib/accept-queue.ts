/**
 * One line of /proc/net/tcp or tcp6 read for the listening socket `inode`: its accept queue (for
 * a listener the rx_queue column) when the line is the listener's; null once the lines are past
 * the listening sockets (state 0A), which the kernel lists first; undefined for any other line.
 */
export function acceptQueueOfLine (line: string, inode: string): number | null | undefined {
  // sl local rem st tx_queue:rx_queue tr:when retrnsmt uid timeout inode ...
  const fields = line.trim().split(/\s+/)
  if (fields[9] === inode) return parseInt(fields[4].split(':')[1], 16)
  if (/^\d+:$/.test(fields[0]) && fields[3] !== '0A') return null
  return undefined
}

/**
 * Whether the listener may close: the kernel's queue is empty or every connection it held at
 * the first turn (`initial`) has been taken; where the queue cannot be read (null), a turn that
 * took no new connection since the previous one (`before`) stands for an empty queue.
 */
export function acceptQueueDrained (queued: number | null, initial: number | undefined, taken: number, before: number): boolean {
  return queued === null ? taken === before : queued === 0 || taken >= (initial ?? 0)
}
