import { APIConnectionError, APIConnectionTimeoutError, APIUserAbortError } from 'openai';
import { describe, expect, it } from 'vitest';
import { stuckBoundMs, WorkerActivity } from '../../src/core/activity.js';
import { faultFromError, isTransient } from '../../src/core/vision/faults.js';
import { ResponseTooLargeError } from '../../src/core/vision/http.js';

const sdk = { APIConnectionError, APIConnectionTimeoutError, APIUserAbortError };
const withCode = (code: string) => Object.assign(new Error('boom'), { code });

describe('connection errors are transient', () => {
  it('classifies the SDK classes by instanceof although openai 6 names them all "Error"', () => {
    const refused = new APIConnectionError({ cause: new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') }) });
    expect(refused.name).toBe('Error');
    expect(faultFromError(refused, undefined, sdk)).toMatchObject({
      kind: 'connection',
      message: 'cannot reach the provider (ECONNREFUSED)',
    });
    expect(isTransient(faultFromError(refused, undefined, sdk))).toBe(true);
    expect(faultFromError(new APIConnectionTimeoutError(), undefined, sdk).kind).toBe('timeout');
    expect(faultFromError(new APIUserAbortError(), undefined, sdk).kind).toBe('cancelled');
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'UND_ERR_SOCKET'])(
    'treats a cause with code %s as a connection fault',
    (code) => {
      const error = new TypeError('fetch failed', { cause: withCode(code) });
      expect(faultFromError(error)).toMatchObject({ kind: 'connection' });
    },
  );

  it.each(['ETIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT'])('treats a cause with code %s as a timeout', (code) => {
    expect(faultFromError(new TypeError('fetch failed', { cause: withCode(code) })).kind).toBe('timeout');
  });

  it('finds a code inside an AggregateError (several addresses refused)', () => {
    const error = new TypeError('fetch failed', { cause: new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')]) });
    expect(faultFromError(error).kind).toBe('connection');
  });

  it('names an oversized answer, which is not retried as a connection problem', () => {
    const error = new APIConnectionError({ cause: new ResponseTooLargeError(4 << 20) });
    expect(faultFromError(error, undefined, sdk)).toMatchObject({ kind: 'too-large' });
  });
});

describe('stuck workers', () => {
  it('reports a photo in progress longer than timeout × attempts + margin', () => {
    const bound = stuckBoundMs(10, 3, 60);
    expect(bound).toBe(120_000);
    const activity = new WorkerActivity();
    activity.begin('/a.jpg', 0);
    activity.begin('/b.jpg', 100_000);
    expect(activity.stuck(bound, 150_000)).toEqual([{ file: '/a.jpg', ms: 150_000 }]);
    activity.end('/a.jpg');
    expect(activity.stuck(bound, 150_000)).toEqual([]);
    expect(activity.running).toBe(1);
  });

  it('does not count the wait for a model slot: a photo read ahead waits as long as the photos before it take', () => {
    const bound = stuckBoundMs(10, 3, 60);
    const activity = new WorkerActivity();
    activity.begin('/read-ahead.jpg', 0);
    activity.stage('/read-ahead.jpg', 'waiting', 1_000);
    expect(activity.stuck(bound, 500_000)).toEqual([]);
    activity.stage('/read-ahead.jpg', 'analyzing', 500_000);
    expect(activity.stuck(bound, 600_000)).toEqual([]);
    expect(activity.stuck(bound, 700_000)).toEqual([{ file: '/read-ahead.jpg', ms: 200_000 }]);
    // The dashboard still shows how long the photo has been in progress.
    expect(activity.inProgress(700_000)).toEqual([{ file: '/read-ahead.jpg', stage: 'analyzing', ms: 700_000 }]);
  });
});
