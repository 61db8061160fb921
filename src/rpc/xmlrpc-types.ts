// Values and limits shared by the XML-RPC encoder (xmlrpc.ts) and parser (xmlrpc-parse.ts).

/** A double whose value is whole, kept apart from ints so 1.0 travels as <double>. */
export class XmlRpcDouble {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
}

export type XmlRpcValue =
  | number
  | boolean
  | string
  | null
  | XmlRpcValue[]
  | { [key: string]: XmlRpcValue }
  | Buffer
  | Date
  | XmlRpcDouble;

export class XmlRpcParseError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
    this.name = 'XmlRpcParseError';
  }
}

export interface ParseLimits {
  maxDepth: number; // nesting of arrays/structs
  maxLength: number; // characters of the whole body
}

export const defaultLimits: ParseLimits = { maxDepth: 64, maxLength: 32 * 1024 * 1024 };
