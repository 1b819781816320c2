import pg from 'pg'

/** One statement on `url`'s database, on a connection of its own; returns the rows. */
export async function sql<T extends pg.QueryResultRow = Record<string, unknown>> (url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<T>(text, values)).rows
  } finally {
    await client.end()
  }
}
