{
  "targets": [
    {
      "target_name": "receiver_native",
      "sources": ["src/receiver_native.c", "src/json_scan.c", "src/envelopes.c", "src/inflate_body.c"],
      "cflags": ["-O3", "-std=c11", "-Wall", "-Wextra", "-Werror"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-std=c11", "-Wall", "-Wextra"] }
    }
  ]
}
