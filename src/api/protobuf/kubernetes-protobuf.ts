/**
 * The Kubernetes protobuf serialization ("application/vnd.kubernetes.protobuf"): the "k8s\0" magic followed by a
 * runtime.Unknown {typeMeta{apiVersion=1, kind=2}, raw=2, contentEncoding=3, contentType=4} whose raw bytes are the
 * message of the object's kind. kubectl's typed clients send request bodies in this form.
 *
 * Entry points for the API server: decode a request body into the JSON form handlers work with, and encode a JSON
 * object for a protobuf response. Both throw typed errors (ProtobufDecodeError → 400, ProtobufEncodeError → 500).
 */
import type { SchemaLookup } from '../schema/types.js';
import { MessageDecoder, type DecodedObject } from './message-decoder.js';
import { MessageEncoder } from './message-encoder.js';

/** KUBERNETES_PROTOBUF_CONTENT_TYPE is the media type of Kubernetes protobuf bodies. */
export const KUBERNETES_PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

/**
 * decodeKubernetesProtobuf decodes a protobuf body into its apiVersion, kind and JSON object (which carries
 * apiVersion and kind too). Throws ProtobufDecodeError for malformed input or a kind without a schema.
 */
export function decodeKubernetesProtobuf(body: Uint8Array, lookup: SchemaLookup): DecodedObject {
  return new MessageDecoder({ lookup }).decodeEnvelope(body);
}

/**
 * encodeKubernetesProtobuf encodes a JSON object (with apiVersion and kind) as a protobuf body.
 * Throws ProtobufEncodeError when the kind has no schema or a value does not fit its field.
 */
export function encodeKubernetesProtobuf(object: Record<string, unknown>, lookup: SchemaLookup): Uint8Array {
  return new MessageEncoder({ lookup }).encodeEnvelope(object);
}
