// The contract tests of ../visits.test.ts on the embedded PostgreSQL and in-process cache.
import './backend.ts'
import '../visits.test.ts'
