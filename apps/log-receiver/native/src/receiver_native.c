/*
 * Node-API binding, two functions that settle a promise with
 *   { data, ends, indexes } | { error: "line_too_long", index } | { error: "too_many_lines" }:
 *   encodeLines(body, from, plainText, maxLineBytes, maxLines, head, eventMiddle, messageMiddle)
 *   decodeAndEncode(gzipped, maxDecompressed, format, maxLineBytes, maxLines, head, eventMiddle, messageMiddle)
 *     format 0 = NDJSON, 1 = text, 2 = JSON (arrays are left to TypeScript); it may also settle with
 *     { error: "bad_gzip", message } | { error: "decompressed_too_large" }
 *     | { body }: the inflated body, for TypeScript to finish (invalid UTF-8 or a JSON array).
 * The work runs on libuv's thread pool (like zlib's), so the event loop
 * keeps serving connections while a batch is inflated, split and encoded.
 * Loaded by apps/log-receiver/src/native.ts, which falls back to the
 * TypeScript implementation when this addon is not built.
 */
#include <node_api.h>
#include <stdlib.h>
#include <string.h>

#include "envelopes.h"
#include "inflate_body.h"

#define ARGUMENTS 8

/* One call: its inputs (kept alive by references), its output, its promise. */
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref body_ref;
  napi_ref parts_refs[3];
  const uint8_t *body;
  size_t body_length;
  size_t from;
  bool plain_text;
  line_limits limits;
  envelope_parts parts;
  encoded_lines out;
  encode_status status;
  /* decodeAndEncode only: */
  bool decode;
  uint32_t format;
  size_t max_output;
  scratch inflated;
  size_t inflated_length;
  inflate_status inflate_result;
  const char *inflate_message;
  bool hand_back; /* TypeScript finishes: invalid UTF-8 or a JSON array */
} encode_job;

enum { FORMAT_NDJSON = 0, FORMAT_TEXT = 1, FORMAT_JSON = 2 };

static void free_job(napi_env env, encode_job *job) {
  if (job->body_ref != NULL) napi_delete_reference(env, job->body_ref);
  for (int k = 0; k < 3; k++)
    if (job->parts_refs[k] != NULL) napi_delete_reference(env, job->parts_refs[k]);
  if (job->work != NULL) napi_delete_async_work(env, job->work);
  free(job->out.data.bytes);
  free(job->out.ends.bytes);
  free(job->out.indexes.bytes);
  free(job->inflated.bytes);
  free(job);
}

/* On a thread-pool thread: no JavaScript here. */
static void execute(napi_env env, void *data) {
  (void)env;
  encode_job *job = data;
  const uint8_t *body = job->body;
  size_t length = job->body_length;
  if (job->decode) {
    job->inflate_result = inflate_gzip(job->body, job->body_length, job->max_output, &job->inflated,
                                       &job->inflated_length, &job->inflate_message);
    if (job->inflate_result != INFLATE_OK) return;
    body = job->inflated.bytes;
    length = job->inflated_length;
    /* What prepareBody does before splitting; the rare cases it decides differently go back to it. */
    if (!is_utf8(body, length)) {
      job->hand_back = true;
      return;
    }
    job->from = length >= 3 && body[0] == 0xef && body[1] == 0xbb && body[2] == 0xbf ? 3 : 0;
    if (job->format == FORMAT_JSON) {
      size_t i = job->from;
      while (i < length && ((body[i] >= 0x09 && body[i] <= 0x0d) || body[i] == 0x20)) i++;
      if (i < length && (body[i] == '[' || body[i] >= 0x80)) {
        job->hand_back = true;
        return;
      }
    }
    job->plain_text = job->format == FORMAT_TEXT;
  }
  job->status = encode_lines(body, length, job->from, job->plain_text, job->limits, &job->parts, &job->out);
}

static void free_data(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

static napi_status uint32_array(napi_env env, const scratch *source, size_t count, napi_value *array) {
  void *data = NULL;
  napi_value buffer;
  napi_status status = napi_create_arraybuffer(env, count * sizeof(uint32_t), &data, &buffer);
  if (status != napi_ok) return status;
  if (count > 0) memcpy(data, source->bytes, count * sizeof(uint32_t));
  return napi_create_typedarray(env, napi_uint32_array, count, buffer, 0, array);
}

/*
 * A Buffer that takes over `bytes` (freed with it). V8 accounts the backing
 * store of every ArrayBuffer itself; telling it again with
 * napi_adjust_external_memory doubled the count and measurably multiplied
 * full garbage collections.
 */
static napi_status adopt_buffer(napi_env env, scratch *bytes, size_t length, napi_value *buffer) {
  if (length == 0) {
    void *ignored = NULL;
    return napi_create_buffer(env, 0, &ignored, buffer);
  }
  napi_status status = napi_create_external_buffer(env, length, bytes->bytes, free_data, NULL, buffer);
  if (status == napi_ok) {
    bytes->bytes = NULL;
    bytes->capacity = 0;
  }
  return status;
}

static napi_status set_string(napi_env env, napi_value object, const char *name, const char *text) {
  napi_value value;
  napi_status status = napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &value);
  return status != napi_ok ? status : napi_set_named_property(env, object, name, value);
}

/* The result object of a finished job (the data buffer takes over the job's output bytes). */
static napi_status build_result(napi_env env, encode_job *job, napi_value *result) {
  napi_status status = napi_create_object(env, result);
  if (status != napi_ok) return status;
  if (job->decode && job->inflate_result == INFLATE_BAD_GZIP) {
    if ((status = set_string(env, *result, "error", "bad_gzip")) != napi_ok) return status;
    return set_string(env, *result, "message", job->inflate_message);
  }
  if (job->decode && job->inflate_result == INFLATE_TOO_LARGE)
    return set_string(env, *result, "error", "decompressed_too_large");
  if (job->hand_back) {
    napi_value body;
    if ((status = adopt_buffer(env, &job->inflated, job->inflated_length, &body)) != napi_ok) return status;
    return napi_set_named_property(env, *result, "body", body);
  }
  if (job->status == ENCODE_LINE_TOO_LONG) {
    napi_value index;
    if ((status = set_string(env, *result, "error", "line_too_long")) != napi_ok) return status;
    if ((status = napi_create_uint32(env, job->out.error_index, &index)) != napi_ok) return status;
    return napi_set_named_property(env, *result, "index", index);
  }
  if (job->status == ENCODE_TOO_MANY_LINES) return set_string(env, *result, "error", "too_many_lines");
  napi_value data, ends, indexes;
  if ((status = adopt_buffer(env, &job->out.data, job->out.length, &data)) != napi_ok) return status;
  if ((status = uint32_array(env, &job->out.ends, job->out.count, &ends)) != napi_ok) return status;
  if ((status = uint32_array(env, &job->out.indexes, job->out.count, &indexes)) != napi_ok) return status;
  if ((status = napi_set_named_property(env, *result, "data", data)) != napi_ok) return status;
  if ((status = napi_set_named_property(env, *result, "ends", ends)) != napi_ok) return status;
  return napi_set_named_property(env, *result, "indexes", indexes);
}

/* Back on the event loop: settle the promise. */
static void complete(napi_env env, napi_status work_status, void *data) {
  encode_job *job = data;
  napi_value result, error, message;
  if (work_status != napi_ok) {
    napi_create_string_utf8(env, "encodeLines: the job was cancelled", NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &error);
    napi_reject_deferred(env, job->deferred, error);
  } else if (job->status == ENCODE_OUT_OF_MEMORY || job->inflate_result == INFLATE_OUT_OF_MEMORY ||
             build_result(env, job, &result) != napi_ok) {
    napi_create_string_utf8(env, "encodeLines: out of memory", NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &error);
    napi_reject_deferred(env, job->deferred, error);
  } else {
    napi_resolve_deferred(env, job->deferred, result);
  }
  free_job(env, job);
}

static bool buffer_arg(napi_env env, napi_value value, napi_ref *ref, const uint8_t **bytes, size_t *length) {
  void *data = NULL;
  bool is_buffer = false;
  if (napi_is_buffer(env, value, &is_buffer) != napi_ok || !is_buffer) return false;
  if (napi_get_buffer_info(env, value, &data, length) != napi_ok) return false;
  *bytes = data;
  return napi_create_reference(env, value, 1, ref) == napi_ok;
}

/*
 * Both entry points: argument 0 is the body (or the gzipped body), 1 `from`
 * (or the decompressed limit), 2 `plainText` (or the format); the rest are shared.
 */
static napi_value start_job(napi_env env, napi_callback_info info, bool decode) {
  size_t argc = ARGUMENTS;
  napi_value argv[ARGUMENTS];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != ARGUMENTS) {
    napi_throw_type_error(env, NULL, "receiver_native: expected 8 arguments");
    return NULL;
  }
  encode_job *job = calloc(1, sizeof(encode_job));
  if (job == NULL) {
    napi_throw_error(env, NULL, "receiver_native: out of memory");
    return NULL;
  }
  job->decode = decode;
  uint32_t second, max_line_bytes, max_lines;
  bool valid = buffer_arg(env, argv[0], &job->body_ref, &job->body, &job->body_length) &&
               napi_get_value_uint32(env, argv[1], &second) == napi_ok &&
               (decode ? napi_get_value_uint32(env, argv[2], &job->format) == napi_ok && job->format <= FORMAT_JSON
                       : napi_get_value_bool(env, argv[2], &job->plain_text) == napi_ok) &&
               napi_get_value_uint32(env, argv[3], &max_line_bytes) == napi_ok &&
               napi_get_value_uint32(env, argv[4], &max_lines) == napi_ok &&
               buffer_arg(env, argv[5], &job->parts_refs[0], &job->parts.head, &job->parts.head_length) &&
               buffer_arg(env, argv[6], &job->parts_refs[1], &job->parts.event_middle,
                          &job->parts.event_middle_length) &&
               buffer_arg(env, argv[7], &job->parts_refs[2], &job->parts.message_middle,
                          &job->parts.message_middle_length) &&
               (decode || second <= job->body_length);
  if (!valid) {
    free_job(env, job);
    napi_throw_type_error(env, NULL, "receiver_native: bad arguments");
    return NULL;
  }
  if (decode) {
    job->max_output = second;
  } else {
    job->from = second;
  }
  job->limits = (line_limits){.max_line_bytes = max_line_bytes, .max_lines = max_lines};
  napi_value promise, name;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "receiver_native", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, execute, complete, job, &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    /* A created promise that is never settled is collected with its deferred. */
    free_job(env, job);
    napi_throw_error(env, NULL, "receiver_native: could not queue the job");
    return NULL;
  }
  return promise;
}

static napi_value encode_lines_js(napi_env env, napi_callback_info info) { return start_job(env, info, false); }

static napi_value decode_and_encode_js(napi_env env, napi_callback_info info) { return start_job(env, info, true); }

static bool export_function(napi_env env, napi_value exports, const char *name, napi_callback callback) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, NULL, &fn) == napi_ok &&
         napi_set_named_property(env, exports, name, fn) == napi_ok;
}

static napi_value init(napi_env env, napi_value exports) {
  if (!export_function(env, exports, "encodeLines", encode_lines_js) ||
      !export_function(env, exports, "decodeAndEncode", decode_and_encode_js)) {
    napi_throw_error(env, NULL, "receiver_native: could not export its functions");
    return NULL;
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
