/**
 * AuditEvent: the audit.k8s.io/v1 Event written as one JSON line per stage of an audited request.
 */
import type { AuditLevel, AuditStage } from './audit-policy.js';

/** AuditObjectRef names the object a resource request is about. */
export interface AuditObjectRef {
  readonly resource?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly apiGroup?: string;
  readonly apiVersion?: string;
  readonly subresource?: string;
}

/** AuditUser is the authenticated user as recorded (authentication.k8s.io/v1 UserInfo). */
export interface AuditUser {
  readonly username?: string;
  readonly uid?: string;
  readonly groups?: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** AuditResponseStatus is the Status of the answer (metadata, code, and for failures status, reason, message). */
export interface AuditResponseStatus {
  readonly metadata: Record<string, never>;
  readonly code: number;
  readonly status?: string;
  readonly reason?: string;
  readonly message?: string;
}

/** AuditEvent is one audit.k8s.io/v1 Event. */
export interface AuditEvent {
  readonly kind: 'Event';
  readonly apiVersion: 'audit.k8s.io/v1';
  readonly level: AuditLevel;
  readonly auditID: string;
  readonly stage: AuditStage;
  readonly requestURI: string;
  readonly verb: string;
  readonly user: AuditUser;
  /** The identity the request acted as, when it impersonated one (kubectl --as). */
  readonly impersonatedUser?: AuditUser;
  readonly sourceIPs: readonly string[];
  readonly userAgent?: string;
  readonly objectRef?: AuditObjectRef;
  readonly responseStatus?: AuditResponseStatus;
  readonly requestObject?: unknown;
  readonly responseObject?: unknown;
  readonly requestReceivedTimestamp: string;
  readonly stageTimestamp: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** microTime formats a time as upstream's MicroTime: RFC 3339 with six fraction digits, UTC. */
export function microTime(epochMs: number): string {
  const whole = Math.floor(epochMs);
  const second = Math.floor(whole / 1000);
  // Every request stamps two of these: the text up to the second is made once per second.
  if (second !== microTimeSecond) {
    microTimePrefix = new Date(second * 1000).toISOString().slice(0, -4); // 2024-01-02T03:04:05.
    microTimeSecond = second;
  }
  const millis = (whole - second * 1000).toString().padStart(3, '0');
  const micros = Math.floor((epochMs % 1) * 1000).toString().padStart(3, '0');
  return `${microTimePrefix}${millis}${micros}Z`;
}

let microTimeSecond = Number.NaN;
let microTimePrefix = '';
