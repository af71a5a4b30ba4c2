/** Test helpers, exported as `lash-event-store/testing`. */
export { ManualClock } from './clock.js';
