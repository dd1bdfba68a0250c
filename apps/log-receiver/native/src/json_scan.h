/*
 * A validating JSON scanner over UTF-8 bytes: whether JSON.parse would accept
 * the text. The C twin of apps/log-receiver/src/json-scan.ts (the reference;
 * the property tests hold the two equal).
 */
#ifndef RECEIVER_JSON_SCAN_H
#define RECEIVER_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when bytes [start, end) are exactly one JSON text. The input must be valid UTF-8. */
bool is_json_text(const uint8_t *bytes, size_t start, size_t end);

#endif
