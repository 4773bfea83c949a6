/** Test support for operators: an in-process API server (see test-environment.ts). */
export { startTestEnvironment, type TestEnvironment } from './test-environment.js';
export type { TestControlPlaneOptions } from '../../boot/test-control-plane.js';
