// The contract tests of ../info.test.ts on the embedded PostgreSQL and in-process cache.
import './backend.ts'
import '../info.test.ts'
