/**
 * tkube's operator SDK (controller-runtime's shape). Write an operator as a module whose `setup` export builds
 * controllers on a Manager; run it in the server (`tkube server --operator PATH`) or on its own
 * (`tkube operator run PATH`); test it with `startTestEnvironment` from `src/sdk/testing/`. See docs/operators.md.
 */
export { Manager, type ManagerOptions, type ManagerHealth } from './manager.js';
export { ControllerBuilder, SdkController, generationChanged, type ControllerOptions, type EventFilter, type MapFunc } from './controller-builder.js';
export { TerminalError, isTerminalError, requestFor, type ReconcileRequest, type ReconcileResult, type Reconciler, type ReconcileFunc } from './reconcile.js';
export { Client, createOrUpdate, type OperationResult, type ObjectKey, type ClientListOptions, type ClientPatchOptions } from './client.js';
export { Kinds, KindRegistry, apiVersionOf, pathOf, type Kind } from './kind.js';
export { AlwaysLeader, type LeaderGate, type LeaderCallbacks } from './leader-gate.js';
export { addFinalizer, removeFinalizer, hasFinalizer, ensureFinalizer, releaseFinalizer } from './finalizers.js';
export { setStatusCondition, findStatusCondition, removeStatusCondition, isStatusConditionTrue, type Condition, type NewCondition } from './conditions.js';
export { setControllerReference, setOwnerReference, controllerOf, AlreadyOwnedError } from './owner-references.js';
export { installCRD, crdObject, type CrdSpec, type CrdVersion, type PrinterColumn } from './crd.js';
export { setupOf, operatorNameOf, type OperatorModule, type OperatorSetup } from './operator-module.js';
export type { KubeObject, ObjectMeta, OwnerReference } from '../api/meta/types.js';
