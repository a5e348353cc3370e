/*
 * Sample generator helper (not an archive member): gzip a file with zlib's own
 * deflateSetHeader() so that FEXTRA, FNAME, FCOMMENT and FHCRC are all set and
 * the header CRC16 is computed by zlib (RFC 1952 correct).
 *
 *   zlib-full-gzip INPUT OUTPUT MTIME
 *
 * Header: MTIME from argv, OS = 3 (Unix), extra field = one subfield
 * "AB" len 3 "xyz", name "full.txt", comment "sample comment".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static unsigned char inbuf[1 << 16];
static unsigned char outbuf[1 << 16];

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s INPUT OUTPUT MTIME\n", argv[0]);
        return 2;
    }
    FILE *in = fopen(argv[1], "rb");
    if (!in) { perror(argv[1]); return 1; }
    size_t n = fread(inbuf, 1, sizeof inbuf, in);
    if (!feof(in)) { fprintf(stderr, "input too large\n"); return 1; }
    fclose(in);

    static unsigned char extra[] = { 'A', 'B', 3, 0, 'x', 'y', 'z' };
    gz_header head;
    memset(&head, 0, sizeof head);
    head.text = 0;
    head.time = (uLong)strtoul(argv[3], NULL, 10);
    head.os = 3;
    head.extra = extra;
    head.extra_len = sizeof extra;
    head.name = (Bytef *)"full.txt";
    head.comment = (Bytef *)"sample comment";
    head.hcrc = 1;

    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) return 1;
    if (deflateSetHeader(&zs, &head) != Z_OK) return 1;
    zs.next_in = inbuf;
    zs.avail_in = (uInt)n;
    zs.next_out = outbuf;
    zs.avail_out = sizeof outbuf;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
        fprintf(stderr, "deflate did not finish\n");
        return 1;
    }
    size_t outlen = sizeof outbuf - zs.avail_out;
    deflateEnd(&zs);

    FILE *out = fopen(argv[2], "wb");
    if (!out) { perror(argv[2]); return 1; }
    if (fwrite(outbuf, 1, outlen, out) != outlen || fclose(out) != 0) {
        perror(argv[2]);
        return 1;
    }
    return 0;
}
