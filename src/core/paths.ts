// File names as the file system has them. On Linux a name is any bytes but '/' and NUL,
// and Node's string paths assume UTF-8: a name that is not valid UTF-8 cannot be opened
// through a string. Such paths stay Buffers end to end; every other path is a string.
import { isUtf8 } from 'node:buffer';
import path from 'node:path';

export type FilePath = string | Buffer;

const SLASH = Buffer.from('/');

/** The path as a string when its bytes are valid UTF-8, else the bytes themselves. */
export function fromBytes(bytes: Buffer): FilePath {
  return isUtf8(bytes) ? bytes.toString('utf8') : bytes;
}

export function toBytes(p: FilePath): Buffer {
  return typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
}

/** `dir/name`, keeping raw bytes where either part has them. */
export function joinPath(dir: FilePath, name: FilePath): FilePath {
  if (typeof dir === 'string' && typeof name === 'string') return path.join(dir, name);
  const d = toBytes(dir);
  return fromBytes(Buffer.concat(d.length > 0 && d[d.length - 1] !== 0x2f ? [d, SLASH, toBytes(name)] : [d, toBytes(name)]));
}

function splitLast(p: FilePath): { dir: FilePath; base: FilePath } {
  if (typeof p === 'string') return { dir: path.dirname(p), base: path.basename(p) };
  const at = p.lastIndexOf(0x2f);
  return at < 0 ? { dir: '.', base: p } : { dir: fromBytes(p.subarray(0, Math.max(at, 1))), base: fromBytes(p.subarray(at + 1)) };
}

export const dirOf = (p: FilePath): FilePath => splitLast(p).dir;
export const baseOf = (p: FilePath): FilePath => splitLast(p).base;

/** A lossless key for maps and sorting. */
export const pathKey = (p: FilePath): string => toBytes(p).toString('latin1');

/**
 * The path as a user reads it on one line: printable names as they are; a name with
 * control characters or bytes that are not UTF-8 is quoted
 * with C escapes ("a\nb\xff"), so one file is always one line and every byte shows.
 */
export function displayPath(p: FilePath): string {
  const bytes = toBytes(p);
  const text = bytes.toString('utf8');
  // eslint-disable-next-line no-control-regex
  if (typeof p === 'string' && !/[\u0000-\u001f\u007f-\u009f]/.test(text)) return text;
  let out = '"';
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    const len = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (len > 1 && i + len <= bytes.length && isUtf8(bytes.subarray(i, i + len))) {
      const ch = bytes.toString('utf8', i, i + len);
      out += /[\u0080-\u009f]/.test(ch) ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : ch;
      i += len;
      continue;
    }
    if (b === 0x0a) out += '\\n';
    else if (b === 0x09) out += '\\t';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x5c) out += '\\\\';
    else if (b === 0x22) out += '\\"';
    else if (b < 0x20 || b >= 0x7f) out += `\\x${b.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(b);
    i++;
  }
  return out + '"';
}

/** For reports: the name as text (bytes that are not UTF-8 become U+FFFD) and, only when it is lossy, the exact bytes in hex. */
export function reportPath(p: FilePath): { path: string; pathHex?: string } {
  return typeof p === 'string' ? { path: p } : { path: p.toString('utf8'), pathHex: p.toString('hex') };
}
