#include "json_scan.h"

#include <stdlib.h>
#include <string.h>

/* Byte classes, as in json-scan.ts. */
static const uint8_t WHITESPACE[256] = {[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1};
static const uint8_t DIGIT[256] = {['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
                                   ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1};
static const uint8_t HEX[256] = {['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
                                 ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1,
                                 ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['A'] = 1, ['B'] = 1,
                                 ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1};
static const uint8_t SIMPLE_ESCAPE[256] = {['"'] = 1, ['\\'] = 1, ['/'] = 1, ['b'] = 1,
                                           ['f'] = 1, ['n'] = 1,  ['r'] = 1, ['t'] = 1};

/* Bytes that end the plain run of a string: quote, backslash, control characters. */
static inline bool string_special(uint8_t c) { return c < 0x20 || c == '"' || c == '\\'; }

#define NOT_FOUND ((size_t)-1)

static size_t skip_whitespace(const uint8_t *b, size_t i, size_t end) {
  while (i < end && WHITESPACE[b[i]]) i++;
  return i;
}

/* A string starting at the quote at i; the index after its closing quote, or NOT_FOUND. */
static size_t scan_string(const uint8_t *b, size_t i, size_t end) {
  i++;
  while (i < end) {
    uint8_t c = b[i];
    if (!string_special(c)) {
      i++;
      continue;
    }
    if (c == '"') return i + 1;
    if (c != '\\') return NOT_FOUND; /* a control character: it must be escaped */
    if (i + 1 >= end) return NOT_FOUND;
    uint8_t e = b[i + 1];
    if (SIMPLE_ESCAPE[e]) {
      i += 2;
    } else if (e == 'u') {
      if (i + 6 > end) return NOT_FOUND;
      for (size_t k = i + 2; k < i + 6; k++)
        if (!HEX[b[k]]) return NOT_FOUND;
      i += 6;
    } else {
      return NOT_FOUND;
    }
  }
  return NOT_FOUND;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? from i. */
static size_t scan_number(const uint8_t *b, size_t i, size_t end) {
  if (b[i] == '-') i++;
  if (i >= end) return NOT_FOUND;
  if (b[i] == '0') {
    i++;
  } else {
    if (!DIGIT[b[i]]) return NOT_FOUND;
    while (i < end && DIGIT[b[i]]) i++;
  }
  if (i < end && b[i] == '.') {
    i++;
    if (i >= end || !DIGIT[b[i]]) return NOT_FOUND;
    while (i < end && DIGIT[b[i]]) i++;
  }
  if (i < end && (b[i] == 'e' || b[i] == 'E')) {
    i++;
    if (i < end && (b[i] == '+' || b[i] == '-')) i++;
    if (i >= end || !DIGIT[b[i]]) return NOT_FOUND;
    while (i < end && DIGIT[b[i]]) i++;
  }
  return i;
}

static size_t scan_literal(const uint8_t *b, size_t i, size_t end, const char *literal, size_t length) {
  if (i + length > end || memcmp(b + i, literal, length) != 0) return NOT_FOUND;
  return i + length;
}

/* `"name" :` and whitespace; the index of the value, or NOT_FOUND. */
static size_t scan_member_name(const uint8_t *b, size_t i, size_t end) {
  if (i >= end || b[i] != '"') return NOT_FOUND;
  i = scan_string(b, i, end);
  if (i == NOT_FOUND) return NOT_FOUND;
  i = skip_whitespace(b, i, end);
  if (i >= end || b[i] != ':') return NOT_FOUND;
  return skip_whitespace(b, i + 1, end);
}

/*
 * Open containers, innermost last (1 object, 0 array). Nesting is bounded
 * only by the line length (JSON.parse has no depth limit), so the stack
 * grows on demand; a small one on the C stack covers ordinary lines.
 */
typedef struct {
  uint8_t inline_items[256];
  uint8_t *items;
  size_t capacity;
} container_stack;

static bool push(container_stack *s, size_t depth, uint8_t object) {
  if (depth == s->capacity) {
    size_t capacity = s->capacity * 2;
    uint8_t *grown = s->items == s->inline_items ? malloc(capacity) : realloc(s->items, capacity);
    if (grown == NULL) return false;
    if (s->items == s->inline_items) memcpy(grown, s->inline_items, s->capacity);
    s->items = grown;
    s->capacity = capacity;
  }
  s->items[depth] = object;
  return true;
}

static bool scan(const uint8_t *b, size_t start, size_t end, container_stack *s) {
  size_t i = skip_whitespace(b, start, end);
  size_t depth = 0;
  for (;;) {
    /* Here a value is expected at i. */
    if (i >= end) return false;
    uint8_t c = b[i];
    if (c == '{' || c == '[') {
      bool object = c == '{';
      i = skip_whitespace(b, i + 1, end);
      if (i < end && b[i] == (object ? '}' : ']')) {
        i++; /* empty container: a complete value */
      } else {
        if (!push(s, depth++, object)) return false;
        if (object && (i = scan_member_name(b, i, end)) == NOT_FOUND) return false;
        continue; /* the first element or member value */
      }
    } else if (c == '"') {
      i = scan_string(b, i, end);
    } else if (c == '-' || DIGIT[c]) {
      i = scan_number(b, i, end);
    } else if (c == 't') {
      i = scan_literal(b, i, end, "true", 4);
    } else if (c == 'f') {
      i = scan_literal(b, i, end, "false", 5);
    } else if (c == 'n') {
      i = scan_literal(b, i, end, "null", 4);
    } else {
      return false;
    }
    if (i == NOT_FOUND) return false;
    /* A value ended at i: close containers or move to the next element. */
    for (;;) {
      i = skip_whitespace(b, i, end);
      if (depth == 0) return i == end;
      if (i >= end) return false;
      bool object = s->items[depth - 1] == 1;
      if (b[i] == ',') {
        i = skip_whitespace(b, i + 1, end);
        if (object && (i = scan_member_name(b, i, end)) == NOT_FOUND) return false;
        break; /* the next value */
      }
      if (b[i] != (object ? '}' : ']')) return false;
      depth--;
      i++;
    }
  }
}

bool is_json_text(const uint8_t *bytes, size_t start, size_t end) {
  container_stack stack = {.items = NULL, .capacity = sizeof stack.inline_items};
  stack.items = stack.inline_items;
  bool valid = scan(bytes, start, end, &stack);
  if (stack.items != stack.inline_items) free(stack.items);
  return valid;
}
