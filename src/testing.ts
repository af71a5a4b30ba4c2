/** Test helpers, exported as `lash-event-store/testing`. */
export { ManualClock } from './clock.js';
export { overrideEffectLease } from './stores/effect-host.js';
