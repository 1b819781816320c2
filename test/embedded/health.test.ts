// The contract tests of ../health.test.ts on the embedded PostgreSQL and in-process cache.
import './backend.ts'
import '../health.test.ts'
