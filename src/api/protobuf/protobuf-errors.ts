/**
 * Typed protobuf errors. The API server answers a ProtobufDecodeError with 400 BadRequest; a ProtobufEncodeError
 * means our own object did not fit its schema (500).
 */

/** ProtobufDecodeError: the body is not a valid protobuf message for the expected type. */
export class ProtobufDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufDecodeError';
  }
}

/** ProtobufEncodeError: a JSON object cannot be written as the protobuf message of its type. */
export class ProtobufEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufEncodeError';
  }
}
