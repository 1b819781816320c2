import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { nameError, renameService, renameText, spellings } from '../../scripts/rename.ts'

// Names of no service here, so that renaming this repository leaves these tests as they are.
t.test('each spelling of a name becomes the same spelling of the new one, and nothing else changes', async (t) => {
  t.same(spellings('shop-api'), ['shop-api', 'shop_api', 'SHOP_API', 'ShopApi', 'shopApi', 'Shop Api'])
  const text = [
    'name: shop-api, repositories shop-apis/app and shop-apis/nginx, stack shop-api-prod-data',
    'SHOP_API_URL=1 shop_api_total ShopApiStack shopApiClient "Shop Api" alarms',
    'shop, api, Shop-Api and shopapi are other words'
  ].join('\n')
  t.equal(renameText(text, 'shop-api', 'billing-service'), [
    'name: billing-service, repositories billing-services/app and billing-services/nginx, stack billing-service-prod-data',
    'BILLING_SERVICE_URL=1 billing_service_total BillingServiceStack billingServiceClient "Billing Service" alarms',
    'shop, api, Shop-Api and shopapi are other words'
  ].join('\n'))
  t.equal(renameText(renameText(text, 'shop-api', 'billing-service'), 'billing-service', 'shop-api'), text, 'and back')
})

t.test('a one-word name has one spelling: its capitalised forms are ordinary words', async (t) => {
  t.same(spellings('billing'), ['billing'])
  t.equal(renameText('billing-prod, Billing, BILLING', 'billing', 'shop-api'), 'shop-api-prod, Billing, BILLING')
})

t.test('a name is what the CDK settings take for serviceName, with no hyphen at the end or doubled', async (t) => {
  for (const good of ['ab', 'orders-api', 'a1-b2', 'x'.repeat(31)]) t.equal(nameError(good), undefined, good)
  for (const bad of ['a', 'Orders', '1orders', 'orders_api', 'orders api', 'orders-', 'a--b', 'x'.repeat(32), '']) t.ok(nameError(bad), `refused: "${bad}"`)
})

t.test('renameService renames the tracked text files of a tree from its package name, and says where the new name was already', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rename-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' })
  git('init', '-q')
  writeFileSync(join(dir, 'package.json'), '{ "name": "shop-api" }\n')
  writeFileSync(join(dir, 'README.md'), '# shop-api\nShopApi and SHOP_API, and an invoice\n')
  writeFileSync(join(dir, 'logo.bin'), Buffer.from([0, 115, 104, 111, 112, 45, 97, 112, 105]))
  writeFileSync(join(dir, 'untracked.txt'), 'shop-api\n')
  git('add', 'package.json', 'README.md', 'logo.bin')
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'start')

  t.throws(() => renameService(dir, 'Bad Name'), /not a service name/)
  t.throws(() => renameService(dir, 'shop-api'), /called shop-api already/)

  const { from, changed, holding } = renameService(dir, 'billing-service')
  t.equal(from, 'shop-api')
  t.same(changed.sort(), ['README.md', 'package.json'])
  t.same(holding, [], 'the new name was nowhere in the tree')
  t.equal(readFileSync(join(dir, 'README.md'), 'utf8'), '# billing-service\nBillingService and BILLING_SERVICE, and an invoice\n')
  t.equal(readFileSync(join(dir, 'untracked.txt'), 'utf8'), 'shop-api\n', 'an untracked file is not the project\'s')
  t.equal(readFileSync(join(dir, 'logo.bin'))[1], 115, 'a binary file is left alone')
  renameService(dir, 'shop-api')
  t.equal(git('status', '--porcelain', '--untracked-files=no'), '', 'renamed back, the tree is as it was')
  t.same(renameService(dir, 'an-invoice').holding, [], 'a name the tree holds in part only')
  renameService(dir, 'shop-api')
  writeFileSync(join(dir, 'README.md'), '# shop-api, formerly an-invoice\n')
  t.same(renameService(dir, 'an-invoice').holding, ['README.md'], 'a name the tree holds already is said')
})
