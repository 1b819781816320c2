// The contract tests of ../users.test.ts on the embedded PostgreSQL and in-process cache.
import './backend.ts'
import '../users.test.ts'
