import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { authenticateRequest, TokenAuthenticator, type Authenticator } from './authentication.js';

function req(headers: Record<string, string>): IncomingMessage {
  return { headers, socket: {} } as unknown as IncomingMessage;
}

test('TokenAuthenticator.fromCsv() reads token,user,uid,"groups" lines', () => {
  const a = TokenAuthenticator.fromCsv('# comment\nt1,alice,u1,"devs,ops"\n\nt2,bob,u2\n');
  assert.deepEqual(a.authenticate(req({ authorization: 'Bearer t1' })), { username: 'alice', uid: 'u1', groups: ['devs', 'ops'] });
  assert.deepEqual(a.authenticate(req({ authorization: 'bearer t2' })), { username: 'bob', uid: 'u2', groups: [] });
  assert.equal(a.authenticate(req({ authorization: 'Bearer t3' })), undefined);
  assert.equal(a.authenticate(req({ authorization: 'Basic dDE=' })), undefined);
  assert.equal(a.authenticate(req({})), undefined);
  assert.throws(() => TokenAuthenticator.fromCsv('only-token\n'), /Cannot parse token file: line 1/);
});

test('authenticateRequest() takes the first user, adds system:authenticated, and survives a throwing authenticator', async () => {
  const errors: unknown[] = [];
  const broken: Authenticator = {
    authenticate: () => {
      throw new Error('backend down');
    },
  };
  const tokens = new TokenAuthenticator({ t: { username: 'u', groups: ['g'] } });
  const user = await authenticateRequest([broken, tokens], req({ authorization: 'Bearer t' }), (e) => errors.push(e));
  assert.deepEqual(user, { username: 'u', groups: ['g', 'system:authenticated'] });
  assert.equal(errors.length, 1);
  assert.equal(await authenticateRequest([tokens], req({}), () => undefined), undefined);
});
