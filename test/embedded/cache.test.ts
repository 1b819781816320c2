// The contract tests of ../cache.test.ts on the embedded PostgreSQL and in-process cache.
import './backend.ts'
import '../cache.test.ts'
