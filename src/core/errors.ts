/** Hex rendering used in every message that names an offset or a size. */
export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/**
 * A rule of a file format that the input breaks. The message is a full sentence that
 * names the offset and the rule ("member header at 0x44: ar_fmag is not \"`\\n\""),
 * so the CLI prints it as it is. Throwing one leaves the file untouched.
 */
export class FormatError extends Error {
  readonly offset: number | undefined;
  constructor(message: string, offset?: number) {
    super(message);
    this.name = 'FormatError';
    this.offset = offset;
  }
}

/** Bad options or arguments: the CLI turns it into exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Not a failure: the file is valid but must not be touched (an Authenticode-signed PE,
 * a PDB whose executable is not in the run). It is reported as skipped with the reason.
 */
export class SkipFile extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'SkipFile';
  }
}

/**
 * The plan is sound but writing it now would be wrong: the file is read-only, or it
 * changed between planning and writing. The file is left untouched and reported as failed.
 */
export class NotWritten extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotWritten';
  }
}
