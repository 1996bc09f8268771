/**
 * How long the app, its load balancer and ECS wait for one another. They must agree, so they live
 * together (the tests hold them to src/config.ts and src/main.ts): a stream waiting for the model's
 * first token outlives the load balancer's idle timeout only by its heartbeats, and an answer in
 * flight when a task stops gets the deregistration delay, then the app's drain, then SIGKILL.
 */

/**
 * The app's SSE heartbeat (HEARTBEAT_MS, set explicitly in the task). The app accepts at most
 * 14 000 ms (src/config.ts); the load balancer's idle timeout must be longer, or a stream waiting
 * for the model's first token would be cut.
 */
export const APP_HEARTBEAT_MS = 10_000;
/** Long enough for a quiet stream (several heartbeats), short enough to free dead connections. */
export const ALB_IDLE_TIMEOUT_SECONDS = 120;
/** On SIGTERM the app lets answers in flight finish for up to 25 s (src/main.ts), then closes. */
export const APP_DRAIN_SECONDS = 25;
/**
 * ECS stops a task behind a load balancer in two steps: it deregisters the target and waits this
 * long (no new requests; streams already open go on), then sends SIGTERM. So an answer in flight
 * gets this plus APP_DRAIN_SECONDS.
 */
export const DEREGISTRATION_DELAY_SECONDS = 30;
/** SIGTERM → SIGKILL: the app's drain plus time to close its pools (Fargate allows up to 120). */
export const STOP_TIMEOUT_SECONDS = APP_DRAIN_SECONDS + 10;
