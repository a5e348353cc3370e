// U-Boot legacy image header (include/image.h, struct legacy_img_hdr / image_header_t):
// 64 bytes of big-endian words, then the image data.

export const IH_MAGIC = 0x27051956;
export const HEADER_SIZE = 64;
/** ih_hcrc: CRC-32 of the header with this field zeroed. */
export const OFF_HCRC = 4;
/** ih_time: image creation time, seconds since 1970. */
export const OFF_TIME = 8;
/** ih_size: size of the image data. */
export const OFF_SIZE = 12;
export const OFF_LOAD = 16;
export const OFF_EP = 20;
/** ih_dcrc: CRC-32 of the image data (unchanged: the data is not touched). */
export const OFF_DCRC = 24;
export const OFF_OS = 28;
export const OFF_ARCH = 29;
export const OFF_TYPE = 30;
export const OFF_COMP = 31;
export const OFF_NAME = 32;
export const NAME_SIZE = 32;
