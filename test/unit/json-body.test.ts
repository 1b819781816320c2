import t from 'tap'
import { forbiddenKey } from '../../lib/json-body.ts'

t.test('a __proto__ key anywhere in the body is named, however it was escaped', async (t) => {
  t.equal(forbiddenKey(JSON.parse('{"username":"p","__proto__":{"admin":true}}')), 'a "__proto__" key')
  t.equal(forbiddenKey(JSON.parse('{"a":[1,{"b":{"\\u005f_proto__":{}}}]}')), 'a "__proto__" key', 'nested, escaped')
})

t.test('constructor holding prototype is named; constructor alone is a plain key', async (t) => {
  t.equal(forbiddenKey(JSON.parse('{"constructor":{"prototype":{"polluted":true}},"username":"b"}')), 'a "constructor" key holding "prototype"')
  t.equal(forbiddenKey(JSON.parse('{"constructor":"x","prototype":1}')), undefined)
  t.equal(forbiddenKey(JSON.parse('{"username":"alice"}')), undefined)
  t.equal(forbiddenKey([1, 'two', null, true]), undefined)
})

t.test('a body nested 100 000 deep is walked without overflowing the stack', async (t) => {
  const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000))
  t.equal(forbiddenKey(deep), undefined)
})
