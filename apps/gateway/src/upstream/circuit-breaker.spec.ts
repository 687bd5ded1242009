import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreaker } from './circuit-breaker';

describe('circuit breaker', () => {
  it('opens after consecutive failures, lets one trial through after the cool-down, closes on success', () => {
    let now = 0;
    const b = new CircuitBreaker({ failureThreshold: 3, openMs: 1_000 }, () => now);
    for (let i = 0; i < 2; i++) b.failure('p');
    assert.equal(b.allow('p'), true, 'still closed after 2');
    b.failure('p');
    assert.equal(b.allow('p'), false, 'open after 3');
    assert.equal(b.allow('other'), true, 'per provider');
    now = 1_001;
    assert.equal(b.allow('p'), true, 'one trial');
    assert.equal(b.allow('p'), false, 'only one');
    b.failure('p');
    assert.equal(b.allow('p'), false, 'reopened by the failed trial');
    now = 2_500;
    assert.equal(b.allow('p'), true);
    b.success('p');
    assert.equal(b.allow('p'), true);
    assert.equal(b.allow('p'), true, 'closed');
  });

  it('a success resets the count', () => {
    const b = new CircuitBreaker({ failureThreshold: 2, openMs: 1_000 }, () => 0);
    b.failure('p');
    b.success('p');
    b.failure('p');
    assert.equal(b.allow('p'), true);
  });
});
