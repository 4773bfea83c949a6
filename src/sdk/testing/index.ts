/** Test support for operators: an in-process API server (test-environment.ts) and polling with a deadline. */
export { startTestEnvironment, type TestEnvironment } from './test-environment.js';
export { eventually } from './eventually.js';
export type { TestControlPlaneOptions } from '../../boot/test-control-plane.js';
