/** A Windows GUID as stored (Data1-3 little-endian) in its usual text form {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}. */
export function guidText(b: Buffer): string {
  const h = (buf: Buffer) => buf.toString('hex').toUpperCase();
  const le = (start: number, len: number) => h(Buffer.from(b.subarray(start, start + len)).reverse());
  return `{${le(0, 4)}-${le(4, 2)}-${le(6, 2)}-${h(b.subarray(8, 10))}-${h(b.subarray(10, 16))}}`;
}
