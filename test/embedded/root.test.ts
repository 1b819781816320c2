// The contract tests of ../root.test.ts on the embedded PostgreSQL and in-process cache.
import './backend.ts'
import '../root.test.ts'
