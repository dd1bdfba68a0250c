import assert from "node:assert/strict";
import { userAgentCacheSize, userAgentFields, UA_CACHE_SIZE } from "../../src/logs/access";
import { envelope, items, RECEIVED_AT, parse } from "./helpers";

const CHROME =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
const IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
const CURL = "curl/8.4.0";
const GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

const accessLine = (agent: string, request = "GET /index.html?q=1 HTTP/1.1") =>
  `2001:db8::1 - alice [04/Dec/2026:02:00:00 +0100] "${request}" 404 153 "https://example.com/" "${agent}" "10.0.0.9"`;

describe("logs/access", () => {
  it("splits real user agents into browser, OS and device", () => {
    assert.deepEqual(userAgentFields(CHROME), {
      ua_browser: "Chrome",
      ua_browser_version: "120.0.0.0",
      ua_os: "Windows",
      ua_os_version: "10",
      ua_device_type: "desktop",
    });
    assert.deepEqual(userAgentFields(FIREFOX), {
      ua_browser: "Firefox",
      ua_browser_version: "121.0",
      ua_os: "Linux",
      ua_device_type: "desktop",
    });
    assert.deepEqual(userAgentFields(IPHONE), {
      ua_browser: "Mobile Safari",
      ua_browser_version: "17.1",
      ua_os: "iOS",
      ua_os_version: "17.1",
      ua_device_type: "mobile",
      ua_device_vendor: "Apple",
      ua_device_model: "iPhone",
    });
    // ua-parser-js 1.x knows neither: the product token names them.
    assert.deepEqual(userAgentFields(CURL), {
      ua_browser: "curl",
      ua_browser_version: "8.4.0",
      ua_device_type: "desktop",
    });
    assert.deepEqual(userAgentFields(GOOGLEBOT), {
      ua_browser: "Googlebot",
      ua_browser_version: "2.1",
      ua_device_type: "desktop",
    });
  });

  it("indexes an access-log source's line in logs and, parsed, in access with the same id", () => {
    const result = items([envelope("n-0", { message: accessLine(IPHONE) }, "nginx")], {
      accessLogSources: new Set(["nginx"]),
    });
    assert.deepEqual(
      result.items.map((item) => [item.index, item.id]),
      [
        ["access-2026.12.04", "n-0"],
        ["logs-nginx-2026.12.04", "n-0"],
      ],
    );
    assert.deepEqual(parse(result.items[0]!.document), {
      "@timestamp": "2026-12-04T01:00:00.000Z",
      receivedAt: RECEIVED_AT,
      receiver: "ip-10-0-1-23",
      client: "203.0.113.7",
      source: "nginx",
      remoteaddr: "2001:db8::1",
      remoteuser: "alice",
      method: "GET",
      url: "/index.html?q=1",
      protocol: "HTTP/1.1",
      statuscode: 404,
      bytessent: 153,
      referrer: "https://example.com/",
      useragent: IPHONE,
      ua_browser: "Mobile Safari",
      ua_browser_version: "17.1",
      ua_os: "iOS",
      ua_os_version: "17.1",
      ua_device_type: "mobile",
      ua_device_vendor: "Apple",
      ua_device_model: "iPhone",
      extra: ["10.0.0.9"],
    });
    const logs = parse(result.items[1]!.document);
    assert.equal(logs["@timestamp"], "2026-12-04T01:00:00.000Z");
    assert.equal(logs.message, accessLine(IPHONE));
  });

  it("parses fluentd access lines when every source is an access-log source", () => {
    const line = JSON.stringify({ log: `${accessLine(CHROME)}\n` });
    const result = items([line], { accessLogSources: "all" });
    assert.deepEqual(
      result.items.map((item) => item.index),
      ["access-2026.12.04", "logs-kinesis-2026.12.04"],
    );
    assert.equal(parse(result.items[0]!.document).ua_browser, "Chrome");
  });

  it("notes why a declared access-log source's line did not parse, and does not parse other sources", () => {
    const declared = items([envelope("n-1", { message: "not an access line" }, "nginx")], {
      accessLogSources: new Set(["nginx"]),
    });
    assert.equal(declared.items.length, 1);
    assert.match(parse(declared.items[0]!.document).error ?? "", /^not an access-log line: /);
    const other = items([envelope("n-2", { message: accessLine(CURL) }, "office-pcs")], {
      accessLogSources: new Set(["nginx"]),
    });
    assert.deepEqual(
      other.items.map((item) => item.index),
      ["logs-office-pcs-2026.12.04"],
    );
    const none = items([envelope("n-3", { message: accessLine(CURL) }, "nginx")], {
      accessLogSources: "none",
    });
    assert.equal(none.items.length, 1);
  });

  it("records `-` fields as absent and no user agent as a desktop device", () => {
    const line = '10.0.0.1 - - [04/Dec/2026:01:00:00 +0000] "-" 400 0 "-" "-"';
    const [access] = items([line], { accessLogSources: "all" }).items;
    const doc = parse(access!.document);
    assert.equal(doc.remoteuser, undefined);
    assert.equal(doc.useragent, undefined);
    assert.equal(doc.url, undefined);
    assert.equal(doc.ua_device_type, "desktop");
  });

  it("keeps the user-agent cache bounded", () => {
    for (let i = 0; i < UA_CACHE_SIZE + 50; i++) {
      items([accessLine(`agent-${i}/1.0`)], { accessLogSources: "all" });
    }
    assert.equal(userAgentCacheSize(), UA_CACHE_SIZE);
  });
});
