// Imported first by every file here: the contract tests that follow run with no database or
// Redis configured, on the embedded back ends the service starts by itself (test/helpers/database.ts).
process.env.TEST_BACKEND = 'embedded'
