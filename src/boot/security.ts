/**
 * Security composition of `tkube server`: encryption at rest around the datastore (on by default with a key
 * generated into the data dir), the static token file, and the audit log. Everything here reads files named by
 * flags once at start; errors name the file and never echo a token or key.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AuditPolicy } from '../apiserver/audit/audit-policy.js';
import type { AuditEvent } from '../apiserver/audit/audit-event.js';
import { AuditLogWriter } from '../apiserver/audit/audit-log-writer.js';
import { ensureDefaultEncryptionConfig } from '../apiserver/encryption/default-encryption-config.js';
import { EncryptingStorage } from '../apiserver/encryption/encrypting-storage.js';
import { parseEncryptionConfig, type EncryptionConfig } from '../apiserver/encryption/encryption-config.js';
import { parseTokenAuthFile } from '../apiserver/filters/authentication.js';
import type { UserInfo } from '../apiserver/request/request-info.js';
import type { Storage } from '../storage/storage.js';
import type { ServerConfig } from './server-config.js';

function readConfigFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`Cannot read ${what} "${path}": ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/**
 * loadEncryptionConfig reads `--encryption-provider-config`, or the data dir's generated configuration (created
 * with a new aesgcm key on first start).
 */
export function loadEncryptionConfig(config: ServerConfig): EncryptionConfig {
  const path = config.encryptionProviderConfig ?? ensureDefaultEncryptionConfig(config.dataDir);
  try {
    return parseEncryptionConfig(readConfigFile(path, 'encryption provider config'));
  } catch (err) {
    throw new Error(`Cannot load encryption provider config "${path}": ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** withEncryption wraps the datastore so configured resources are encrypted at rest. */
export function withEncryption(storage: Storage, encryption: EncryptionConfig): Storage {
  return new EncryptingStorage(storage, encryption);
}

/** loadTokenAuthFile reads `--token-auth-file` (empty when unset). */
export function loadTokenAuthFile(config: ServerConfig): Map<string, UserInfo> {
  if (!config.tokenAuthFile) return new Map();
  try {
    return parseTokenAuthFile(readConfigFile(config.tokenAuthFile, 'token auth file'));
  } catch (err) {
    throw new Error(`Cannot load token auth file "${config.tokenAuthFile}": ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** AuditLog is an opened audit log: what ControlPlane needs, and close. */
export interface AuditLog {
  readonly audit: { readonly policy: AuditPolicy; readonly sink: (event: AuditEvent) => void };
  /** close writes the events still queued and releases the file. */
  close(): Promise<void>;
}

/**
 * openAuditLog opens `--audit-log-path` with `--audit-policy-file` (or the default policy); undefined when no path
 * is set.
 */
export function openAuditLog(config: ServerConfig, onError: (err: unknown) => void): AuditLog | undefined {
  if (!config.auditLogPath) return undefined;
  const policy = config.auditPolicyFile ? AuditPolicy.parse(readConfigFile(config.auditPolicyFile, 'audit policy file')) : AuditPolicy.defaultPolicy();
  if (config.auditLogPath !== '-') mkdirSync(dirname(config.auditLogPath), { recursive: true, mode: 0o700 });
  // The writer queues events and reports a failing disk once per outage.
  const writer = new AuditLogWriter({
    path: config.auditLogPath,
    maxSizeBytes: (config.auditLogMaxSizeMb ?? 0) * 1024 * 1024,
    maxBackups: config.auditLogMaxBackups ?? 0,
    maxAgeMs: (config.auditLogMaxAgeDays ?? 0) * 86_400_000,
    onError,
  });
  return {
    audit: { policy, sink: (event) => writer.write(event) },
    close: () => writer.close(),
  };
}
