// GUIDs as Windows stores them (Data1, Data2, Data3 little-endian, Data4 as bytes), and
// the key that pairs a PE with its PDB: the CodeView RSDS GUID, which the PDB info
// stream holds with the same 16 bytes.

/** Registry form: {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}. */
export function guidText(b: Buffer): string {
  if (b.length !== 16) return `<${b.length}-byte GUID ${b.toString('hex')}>`;
  const word = (v: number, digits: number) => v.toString(16).padStart(digits, '0').toUpperCase();
  const bytes = (start: number, end: number) => b.toString('hex', start, end).toUpperCase();
  return `{${word(b.readUInt32LE(0), 8)}-${word(b.readUInt16LE(4), 4)}-${word(b.readUInt16LE(6), 4)}-${bytes(8, 10)}-${bytes(10, 16)}}`;
}

const KEY_PREFIX = 'pdb70:';

/** The pairing key of a PDB 7.0 GUID (FormatLink.key on both sides). */
export function pdb70Key(guid: Buffer): string {
  return KEY_PREFIX + guid.toString('hex');
}

/** The GUID text of a pairing key, for messages. */
export function keyGuid(key: string): string {
  const hexText = key.startsWith(KEY_PREFIX) ? key.slice(KEY_PREFIX.length) : key;
  return /^[0-9a-f]{32}$/.test(hexText) ? guidText(Buffer.from(hexText, 'hex')) : hexText;
}
