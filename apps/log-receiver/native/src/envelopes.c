#include "envelopes.h"

#include <stdlib.h>
#include <string.h>

#include "json_scan.h"

static bool reserve(scratch *s, size_t needed) {
  if (needed <= s->capacity) return true;
  size_t capacity = s->capacity == 0 ? 4096 : s->capacity;
  while (capacity < needed) capacity *= 2;
  uint8_t *grown = realloc(s->bytes, capacity);
  if (grown == NULL) return false;
  s->bytes = grown;
  s->capacity = capacity;
  return true;
}

/* What String.prototype.trim removes: WhiteSpace and LineTerminator code points. */
static bool is_js_space(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0xa0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
         cp == 0x205f || cp == 0x3000 || cp == 0xfeff;
}

/* Decodes the (valid) UTF-8 code point at *i and advances past it. */
static uint32_t next_code_point(const uint8_t *b, size_t *i) {
  uint8_t c = b[*i];
  if (c < 0x80) return b[(*i)++];
  if (c < 0xe0) {
    uint32_t cp = ((uint32_t)(c & 0x1f) << 6) | (b[*i + 1] & 0x3f);
    *i += 2;
    return cp;
  }
  if (c < 0xf0) {
    uint32_t cp = ((uint32_t)(c & 0x0f) << 12) | ((uint32_t)(b[*i + 1] & 0x3f) << 6) | (b[*i + 2] & 0x3f);
    *i += 3;
    return cp;
  }
  uint32_t cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(b[*i + 1] & 0x3f) << 12) |
                ((uint32_t)(b[*i + 2] & 0x3f) << 6) | (b[*i + 3] & 0x3f);
  *i += 4;
  return cp;
}

/* `trim().length === 0` on the bytes, like isBlank in body.ts. */
static bool is_blank(const uint8_t *b, size_t i, size_t end) {
  while (i < end && ((b[i] >= 0x09 && b[i] <= 0x0d) || b[i] == 0x20)) i++;
  if (i == end) return true;
  if (b[i] < 0x80) return false;
  while (i < end)
    if (!is_js_space(next_code_point(b, &i))) return false;
  return true;
}

static size_t write_decimal(uint8_t *out, size_t pos, uint32_t value) {
  char digits[10];
  size_t n = 0;
  do {
    digits[n++] = (char)('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) out[pos++] = (uint8_t)digits[--n];
  return pos;
}

/*
 * JSON.stringify's escaping as two constant tables, so escaping costs a load
 * and one 8-byte store per byte, without branches on the data: ESCAPED[c]
 * holds the bytes written for c (little-endian, padded), ESCAPED_LENGTH[c]
 * how many of them count. Only `"`, `\` and control characters change;
 * every other byte, UTF-8 included, is copied as it is.
 */
#define HEX_DIGIT(d) ((uint64_t)((d) < 10 ? '0' + (d) : 'a' + (d) - 10))
#define SHORT_ESCAPE(e) ((uint64_t)'\\' | (uint64_t)(e) << 8)
#define UNICODE_ESCAPE(c)                                                                        \
  ((uint64_t)'\\' | (uint64_t)'u' << 8 | (uint64_t)'0' << 16 | (uint64_t)'0' << 24 |             \
   HEX_DIGIT((c) >> 4) << 32 | HEX_DIGIT((c) & 15) << 40)
#define ESCAPE_WORD(c)                                                                           \
  ((c) == '\b'   ? SHORT_ESCAPE('b')                                                             \
   : (c) == '\t' ? SHORT_ESCAPE('t')                                                             \
   : (c) == '\n' ? SHORT_ESCAPE('n')                                                             \
   : (c) == '\f' ? SHORT_ESCAPE('f')                                                             \
   : (c) == '\r' ? SHORT_ESCAPE('r')                                                             \
   : (c) < 0x20  ? UNICODE_ESCAPE(c)                                                            \
   : (c) == '"'  ? SHORT_ESCAPE('"')                                                            \
   : (c) == '\\' ? SHORT_ESCAPE('\\')                                                           \
                 : (uint64_t)(c))
#define ESCAPE_LENGTH(c)                                                                         \
  ((c) == '\b' || (c) == '\t' || (c) == '\n' || (c) == '\f' || (c) == '\r' || (c) == '"' ||       \
           (c) == '\\'                                                                            \
       ? 2                                                                                       \
   : (c) < 0x20 ? 6                                                                              \
                : 1)
#define ROW(table, base)                                                                         \
  table(base + 0), table(base + 1), table(base + 2), table(base + 3), table(base + 4),            \
      table(base + 5), table(base + 6), table(base + 7), table(base + 8), table(base + 9),        \
      table(base + 10), table(base + 11), table(base + 12), table(base + 13), table(base + 14),   \
      table(base + 15)
#define TABLE(table)                                                                             \
  {ROW(table, 0x00), ROW(table, 0x10), ROW(table, 0x20), ROW(table, 0x30),                       \
   ROW(table, 0x40), ROW(table, 0x50), ROW(table, 0x60), ROW(table, 0x70),                       \
   ROW(table, 0x80), ROW(table, 0x90), ROW(table, 0xa0), ROW(table, 0xb0),                       \
   ROW(table, 0xc0), ROW(table, 0xd0), ROW(table, 0xe0), ROW(table, 0xf0)}

static const uint64_t ESCAPED[256] = TABLE(ESCAPE_WORD);
static const uint8_t ESCAPED_LENGTH[256] = TABLE(ESCAPE_LENGTH);

/* Whether any byte of [start, end) needs escaping; a loop compilers vectorise. */
static bool any_to_escape(const uint8_t *b, size_t start, size_t end) {
  uint8_t found = 0;
  for (size_t i = start; i < end; i++) found |= (uint8_t)((b[i] < 0x20) | (b[i] == '"') | (b[i] == '\\'));
  return found != 0;
}

/*
 * The inside of a JSON string, exactly as JSON.stringify writes it for
 * well-formed UTF-8. `out` must have 8 bytes of slack past the worst case
 * (each store writes a whole word).
 */
static size_t escape(const uint8_t *b, size_t start, size_t end, uint8_t *out, size_t pos) {
  if (!any_to_escape(b, start, end)) {
    memcpy(out + pos, b + start, end - start);
    return pos + (end - start);
  }
  for (size_t i = start; i < end; i++) {
    uint8_t c = b[i];
    memcpy(out + pos, &ESCAPED[c], 8);
    pos += ESCAPED_LENGTH[c];
  }
  return pos;
}

static bool push_index(scratch *s, size_t count, uint32_t value) {
  if (!reserve(s, (count + 1) * sizeof(uint32_t))) return false;
  memcpy(s->bytes + count * sizeof(uint32_t), &value, sizeof value);
  return true;
}

encode_status encode_lines(const uint8_t *bytes, size_t length, size_t from, bool plain_text,
                           line_limits limits, const envelope_parts *parts, encoded_lines *out) {
  size_t middle = parts->event_middle_length > parts->message_middle_length ? parts->event_middle_length
                                                                            : parts->message_middle_length;
  size_t fixed = parts->head_length + middle;
  size_t pos = 0;
  size_t count = 0;
  uint32_t index = 0;
  /* Sized for typical lines up front (an envelope adds its fixed part to each
     line of ~100-200 bytes) so the buffers rarely grow; they still can. */
  size_t estimated_lines = (length - from) / 64 + 16;
  if (!reserve(&out->data, (length - from) + estimated_lines * (fixed + 16)) ||
      !reserve(&out->ends, estimated_lines * sizeof(uint32_t)) ||
      !reserve(&out->indexes, estimated_lines * sizeof(uint32_t)))
    return ENCODE_OUT_OF_MEMORY;
  for (size_t start = from; start <= length; index++) {
    const uint8_t *newline = memchr(bytes + start, '\n', length - start);
    size_t eol = newline == NULL ? length : (size_t)(newline - bytes);
    size_t end = eol > start && bytes[eol - 1] == '\r' ? eol - 1 : eol;
    size_t line_start = start;
    start = eol + 1;
    if (is_blank(bytes, line_start, end)) continue;
    size_t line_length = end - line_start;
    if (line_length > limits.max_line_bytes) {
      out->error_index = index;
      return ENCODE_LINE_TOO_LONG;
    }
    if (count == limits.max_lines) return ENCODE_TOO_MANY_LINES;
    /* Worst case: every byte escaped as \u00XX, 10 index digits, ", }, \n; 8 bytes of slack for escape. */
    if (!reserve(&out->data, pos + fixed + line_length * 6 + 13 + 8)) return ENCODE_OUT_OF_MEMORY;
    uint8_t *data = out->data.bytes;
    memcpy(data + pos, parts->head, parts->head_length);
    pos = write_decimal(data, pos + parts->head_length, index);
    if (!plain_text && is_json_text(bytes, line_start, end)) {
      memcpy(data + pos, parts->event_middle, parts->event_middle_length);
      pos += parts->event_middle_length;
      memcpy(data + pos, bytes + line_start, line_length);
      pos += line_length;
    } else {
      memcpy(data + pos, parts->message_middle, parts->message_middle_length);
      pos = escape(bytes, line_start, end, data, pos + parts->message_middle_length);
      data[pos++] = '"';
    }
    data[pos++] = '}';
    if (!push_index(&out->ends, count, (uint32_t)pos) || !push_index(&out->indexes, count, index))
      return ENCODE_OUT_OF_MEMORY;
    count++;
    data[pos++] = '\n';
  }
  out->count = count;
  out->length = count == 0 ? 0 : pos - 1;
  return ENCODE_OK;
}
