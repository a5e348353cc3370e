// GNU gettext binary message catalog (.mo), "The Format of GNU MO Files" in the gettext
// manual: a header of 32-bit words in the writer's byte order, then tables of
// (length, offset) pairs for the original and the translated strings.

/** The magic number as a word; read in the other byte order it is 0xde120495. */
export const MAGIC = 0x950412de;
export const MAGIC_SWAPPED = 0xde120495;

/** Header words: magic, revision, N strings, O original table, T translation table, S hash size, H hash offset. */
export const HEADER_SIZE = 28;
export const OFF_REVISION = 4;
export const OFF_COUNT = 8;
export const OFF_ORIGINALS = 12;
export const OFF_TRANSLATIONS = 16;
/** A table entry: length (without the NUL), offset. */
export const ENTRY_SIZE = 8;
/** Major revisions a reader accepts: 0 and 1 (the minor part is in the low 16 bits). */
export const MAX_MAJOR = 1;

/** Header-entry fields (msgid "") that hold a date, "YYYY-MM-DD HH:MM+ZZZZ". */
export const DATE_FIELDS = ['POT-Creation-Date', 'PO-Revision-Date'];
