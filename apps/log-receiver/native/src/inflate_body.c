#include "inflate_body.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h> /* Node's own zlib: its headers ship with Node's and the symbols resolve in the node binary. */

static const size_t MIN_CHUNK = 16 * 1024;
static const size_t MAX_FIRST_CHUNK = 1024 * 1024;

/* Exactly `capacity` bytes (the caller doubles, and caps at the limit). */
static bool resize(scratch *s, size_t capacity) {
  if (capacity <= s->capacity) return true;
  uint8_t *grown = realloc(s->bytes, capacity);
  if (grown == NULL) return false;
  s->bytes = grown;
  s->capacity = capacity;
  return true;
}

inflate_status inflate_gzip(const uint8_t *raw, size_t raw_length, size_t max_output, scratch *out,
                            size_t *out_length, const char **message) {
  /* The trailer's size (mod 2^32) of the last member sizes the first buffer;
     only a hint from the client, so clamped, and the limit still holds. */
  size_t declared = raw_length >= 4 ? (size_t)raw[raw_length - 4] | (size_t)raw[raw_length - 3] << 8 |
                                          (size_t)raw[raw_length - 2] << 16 | (size_t)raw[raw_length - 1] << 24
                                    : 0;
  size_t first = declared + 1 < MIN_CHUNK ? MIN_CHUNK : declared + 1 > MAX_FIRST_CHUNK ? MAX_FIRST_CHUNK : declared + 1;
  if (!resize(out, first < max_output + 1 ? first : max_output + 1)) return INFLATE_OUT_OF_MEMORY;
  z_stream stream;
  memset(&stream, 0, sizeof stream);
  if (inflateInit2(&stream, 15 + 16) != Z_OK) return INFLATE_OUT_OF_MEMORY;
  stream.next_in = (Bytef *)raw;
  stream.avail_in = (uInt)raw_length;
  size_t produced = 0;
  inflate_status status = INFLATE_OK;
  for (;;) {
    if (produced == out->capacity) {
      /* Full: double, but never past one byte over the limit (a gzip bomb stops there). */
      if (produced > max_output) break;
      size_t next = produced * 2 < max_output + 1 ? produced * 2 : max_output + 1;
      if (!resize(out, next)) {
        status = INFLATE_OUT_OF_MEMORY;
        break;
      }
    }
    stream.next_out = out->bytes + produced;
    stream.avail_out = (uInt)(out->capacity - produced);
    int result = inflate(&stream, Z_NO_FLUSH);
    produced = out->capacity - stream.avail_out;
    if (produced > max_output) {
      status = INFLATE_TOO_LARGE;
      break;
    }
    if (result == Z_STREAM_END) {
      /* Another member, or padding: zlib.gunzip reads on unless the next byte is 0. */
      if (stream.avail_in > 0 && stream.next_in[0] != 0) {
        inflateReset(&stream);
        continue;
      }
      break;
    }
    if (result == Z_BUF_ERROR && stream.avail_in == 0 && stream.avail_out > 0) {
      *message = "unexpected end of file";
      status = INFLATE_BAD_GZIP;
      break;
    }
    if (result == Z_MEM_ERROR) {
      status = INFLATE_OUT_OF_MEMORY;
      break;
    }
    if (result != Z_OK && result != Z_BUF_ERROR) {
      *message = stream.msg != NULL ? stream.msg : result == Z_NEED_DICT ? "Missing dictionary" : "zlib error";
      status = INFLATE_BAD_GZIP;
      break;
    }
  }
  /* stream.msg points at static strings in zlib, still valid after inflateEnd. */
  inflateEnd(&stream);
  if (status == INFLATE_OK && produced > max_output) status = INFLATE_TOO_LARGE;
  *out_length = produced;
  return status;
}

bool is_utf8(const uint8_t *b, size_t length) {
  size_t i = 0;
  while (i < length) {
    /* ASCII runs, 8 bytes at a time. */
    while (i + 8 <= length) {
      uint64_t word;
      memcpy(&word, b + i, 8);
      if (word & UINT64_C(0x8080808080808080)) break;
      i += 8;
    }
    if (i >= length) break;
    uint8_t c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    /* Well-formed sequences, Unicode Table 3-7. */
    size_t need;
    uint8_t low = 0x80, high = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c == 0xe0) low = 0xa0;
      if (c == 0xed) high = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c == 0xf0) low = 0x90;
      if (c == 0xf4) high = 0x8f;
    } else {
      return false;
    }
    if (i + need >= length) return false;
    if (b[i + 1] < low || b[i + 1] > high) return false;
    for (size_t k = 2; k <= need; k++)
      if (b[i + k] < 0x80 || b[i + k] > 0xbf) return false;
    i += need + 1;
  }
  return true;
}
