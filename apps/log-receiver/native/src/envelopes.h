/*
 * Splits a decoded request body into lines and writes the envelope of every
 * non-blank line, in one pass. The C twin of `splitBody` + `encodeEnvelopes`
 * (apps/log-receiver/src/body.ts, envelope.ts), which stay the reference: the
 * property tests hold the two byte-for-byte equal.
 */
#ifndef RECEIVER_ENVELOPES_H
#define RECEIVER_ENVELOPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable byte or index array, reused from one request to the next. */
typedef struct {
  uint8_t *bytes;
  size_t capacity;
} scratch;

/* Per-request constant parts of every envelope. */
typedef struct {
  const uint8_t *head; /* {"id":"<hex>- */
  size_t head_length;
  const uint8_t *event_middle; /* ","receivedAt":…,"event": */
  size_t event_middle_length;
  const uint8_t *message_middle; /* ","receivedAt":…,"message":" */
  size_t message_middle_length;
} envelope_parts;

typedef struct {
  size_t max_line_bytes;
  size_t max_lines;
} line_limits;

typedef enum {
  ENCODE_OK = 0,
  ENCODE_LINE_TOO_LONG = 1,
  ENCODE_TOO_MANY_LINES = 2,
  ENCODE_OUT_OF_MEMORY = 3,
} encode_status;

typedef struct {
  scratch data;    /* envelopes joined by \n */
  scratch ends;    /* uint32: offset just past envelope i */
  scratch indexes; /* uint32: position of line i in the body */
  size_t length;   /* bytes of data used (no \n after the last envelope) */
  size_t count;    /* envelopes written */
  uint32_t error_index; /* the offending line for ENCODE_LINE_TOO_LONG */
} encoded_lines;

/*
 * Encodes bytes[from, length). With plain_text every line is a message;
 * otherwise a line that is one JSON text is an event. bytes must be valid UTF-8.
 */
encode_status encode_lines(const uint8_t *bytes, size_t length, size_t from, bool plain_text,
                           line_limits limits, const envelope_parts *parts, encoded_lines *out);

#endif
