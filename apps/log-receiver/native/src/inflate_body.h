/*
 * Gzip decoding and UTF-8 checking for the native hot path, with the
 * semantics of the receiver's decodeBody (zlib.gunzip) and buffer.isUtf8.
 */
#ifndef RECEIVER_INFLATE_BODY_H
#define RECEIVER_INFLATE_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "envelopes.h"

typedef enum {
  INFLATE_OK = 0,
  INFLATE_BAD_GZIP = 1,
  INFLATE_TOO_LARGE = 2,
  INFLATE_OUT_OF_MEMORY = 3,
} inflate_status;

/*
 * Inflates a gzip body (several members allowed, trailing zero bytes
 * ignored, as zlib.gunzip does) into out, never past max_output bytes.
 * On INFLATE_BAD_GZIP, *message says why (zlib's words).
 */
inflate_status inflate_gzip(const uint8_t *raw, size_t raw_length, size_t max_output, scratch *out,
                            size_t *out_length, const char **message);

/* Whether bytes are well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
bool is_utf8(const uint8_t *bytes, size_t length);

#endif
