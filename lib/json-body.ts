/**
 * The key of a parsed JSON body that the service refuses, said as the error message says it, or
 * undefined. `__proto__`, and `constructor` holding `prototype`, are what prototype poisoning
 * sends (as Fastify's onProtoPoisoning and onConstructorPoisoning: 'error' refuse them): merged
 * into an object by a careless copy, they would change every object's prototype.
 */
export function forbiddenKey (value: unknown): string | undefined {
  // Iterative, so a deeply nested body cannot overflow the stack.
  const pending: unknown[] = [value]
  while (pending.length > 0) {
    const next = pending.pop()
    if (typeof next !== 'object' || next === null) continue
    if (Array.isArray(next)) {
      pending.push(...next)
      continue
    }
    if (Object.hasOwn(next, '__proto__')) return 'a "__proto__" key'
    const constructor = (next as Record<string, unknown>).constructor
    if (Object.hasOwn(next, 'constructor') && typeof constructor === 'object' && constructor !== null && Object.hasOwn(constructor, 'prototype')) {
      return 'a "constructor" key holding "prototype"'
    }
    pending.push(...Object.values(next))
  }
  return undefined
}
