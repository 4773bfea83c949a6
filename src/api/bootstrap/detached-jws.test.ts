import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeDetachedSignature, detachedSignatureValid } from './detached-jws.js';

// Signatures upstream's cluster-bootstrap computes for these inputs: ours must match byte for byte, or a kubeadm
// node could not verify our cluster-info (and we could not verify a kubeadm cluster's).
const CONTENT = 'Hello from the other side. I must have called a thousand times.';
const SECRET = 'my voice is my passcode';
const ID = 'joshua';

void describe('detached JWS', () => {
  void it('matches upstream for content, empty content and an empty secret', () => {
    assert.equal(computeDetachedSignature(CONTENT, ID, SECRET), 'eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..VShe2taLd-YTrmWuRkcL_8QTNDHYxQIEBsAYYiIj1_8');
    assert.equal(computeDetachedSignature('', ID, SECRET), 'eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..7Ui1ALizW4jXphVUB7xUqC9vLYLL9RZeOFfVLoB7Tgk');
    assert.equal(computeDetachedSignature(CONTENT, ID, ''), 'eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..UfkqvDGiIFxrMnFseDj9LYJOLNrvjW8aHhF71mvvAs8');
  });

  void it('verifies only the right signature for the right token', () => {
    const sig = computeDetachedSignature(CONTENT, ID, SECRET);
    assert.equal(detachedSignatureValid(sig, CONTENT, ID, SECRET), true);
    assert.equal(detachedSignatureValid(`${sig}foo`, CONTENT, ID, SECRET), false);
    assert.equal(detachedSignatureValid(sig, `${CONTENT}!`, ID, SECRET), false);
    assert.equal(detachedSignatureValid(sig, CONTENT, ID, 'another secret'), false);
  });
});
