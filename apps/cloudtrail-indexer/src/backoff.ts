/**
 * Backoff of failed messages through their visibility timeout: a message
 * that failed for the n-th time (`ApproximateReceiveCount` = n) stays hidden
 * `base · 2^(n-1)` seconds, capped at SQS's 12 hours, instead of coming back
 * after the queue's fixed timeout. An outage then costs a handful of receives
 * an hour instead of one every few minutes, and the queue's maxReceiveCount
 * can be chosen to outlast an outage of several hours (see {@link receivesToCover}).
 */

/** SQS's largest visibility timeout (12 hours). */
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;

/** Backoff of failed messages. */
export interface VisibilityBackoff {
  /** Hidden time after the first failure (default 60 s). */
  readonly baseSeconds: number;
  /** Longest hidden time (default and upper bound 43 200 s = 12 h). */
  readonly maxSeconds: number;
}

/** Defaults of {@link VisibilityBackoff}. */
export const DEFAULT_VISIBILITY_BACKOFF: VisibilityBackoff = {
  baseSeconds: 60,
  maxSeconds: MAX_VISIBILITY_TIMEOUT_SECONDS,
};

/** Outage the default queue settings are sized to survive: 6 hours. */
export const DEFAULT_OUTAGE_TOLERANCE_SECONDS = 6 * 3600;

/**
 * Seconds a message stays hidden after its `receiveCount`-th failed receive:
 * `min(max, base · 2^(receiveCount-1))`, at least 1 (a receive count below 1 counts as 1).
 */
export function visibilityBackoffSeconds(receiveCount: number, backoff: VisibilityBackoff): number {
  const n = Number.isFinite(receiveCount) && receiveCount >= 1 ? Math.floor(receiveCount) : 1;
  const cap = Math.min(backoff.maxSeconds, MAX_VISIBILITY_TIMEOUT_SECONDS);
  // 2^(n-1) overflows to Infinity for huge n; min() keeps the cap.
  return Math.max(1, Math.min(cap, Math.round(backoff.baseSeconds * 2 ** (n - 1))));
}

/** Seconds from the first receive to the `receives`-th one when every receive fails: the sum of the backoffs before it. */
export function secondsUntilReceive(receives: number, backoff: VisibilityBackoff): number {
  let total = 0;
  for (let n = 1; n < receives; n++) total += visibilityBackoffSeconds(n, backoff);
  return total;
}

/**
 * The smallest maxReceiveCount whose last receive comes at least `seconds`
 * after the first one when every receive fails — so an outage that long is
 * over before the message is moved to the dead-letter queue. With the defaults
 * (60 s doubling, 6 h): 10 receives, the last one 8.5 h after the first.
 */
export function receivesToCover(seconds: number, backoff: VisibilityBackoff): number {
  let receives = 1;
  while (secondsUntilReceive(receives, backoff) < seconds) receives++;
  return receives;
}

/**
 * The queue URL of an SQS queue ARN (`arn:<partition>:sqs:<region>:<account>:<name>`),
 * the one an SQS event record names only by ARN.
 *
 * @throws Error when the text is not an SQS queue ARN.
 */
export function queueUrlFromArn(arn: string): string {
  const match = /^arn:(aws[a-z-]*):sqs:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_.-]+)$/.exec(arn);
  if (match === null) throw new Error(`not an SQS queue ARN: ${JSON.stringify(arn)}`);
  const [, partition, region, account, name] = match as unknown as [string, string, string, string, string];
  const domain = partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
  return `https://sqs.${region}.${domain}/${account}/${name}`;
}
