// Starts the shop front and asks it twice: as a customer (stable) and as a tester on canary.
// Usage: npx tsx examples/openfeature/main.ts
import { QA_TOKEN, startShopfront } from './shopfront.js';

const shop = await startShopfront();
try {
  const customer = await (await fetch(`${shop.url}/checkout`)).json();
  const tester = await (await fetch(`${shop.url}/checkout`, { headers: { 'x-release-stage': 'canary', 'x-gray-token': QA_TOKEN } })).json();
  const spoofer = await (await fetch(`${shop.url}/checkout`, { headers: { 'x-release-stage': 'canary' } })).json();
  console.log('customer          ', customer); // { checkout: 'classic' }
  console.log('tester on canary  ', tester); // { checkout: 'new' }
  console.log('canary w/o token  ', spoofer); // { checkout: 'classic' }: the edge does not trust it
} finally {
  await shop.close();
}
