/**
 * The controller table: every controller the manager knows, in start order. Adding a controller is adding a row.
 */
import type { ControllerDescriptor } from './controller-descriptor.js';
import { NAMESPACE_CONTROLLER } from './namespace-controller.js';
import { SERVICEACCOUNT_CONTROLLER } from './serviceaccount-controller.js';

/** CONTROLLERS lists the built-in controllers. */
export const CONTROLLERS: readonly ControllerDescriptor[] = [NAMESPACE_CONTROLLER, SERVICEACCOUNT_CONTROLLER];
