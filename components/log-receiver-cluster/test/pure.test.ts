import * as assert from "node:assert/strict";

import {
  agentConfigs,
  receiverContainerDefinitions,
  receiverExecutionStatements,
  splitCertificateChain,
  TOKEN_PLACEHOLDER,
} from "..";

const leaf = "-----BEGIN CERTIFICATE-----\nLEAF\n-----END CERTIFICATE-----";
const intermediate = "-----BEGIN CERTIFICATE-----\nINTER\n-----END CERTIFICATE-----";

describe("log receiver cluster (pure)", () => {
  it("splits a full chain into leaf and chain, and a lone leaf into just the body", () => {
    assert.deepEqual(splitCertificateChain(`${leaf}\n${intermediate}\n`), {
      body: leaf,
      chain: intermediate,
    });
    assert.deepEqual(splitCertificateChain(leaf), { body: leaf });
    assert.throws(() => splitCertificateChain("garbage"), /no PEM CERTIFICATE block/);
  });

  it("container: non-root, read-only, no capabilities, tokens only as an ECS secret", () => {
    const [container] = receiverContainerDefinitions({
      image: "img",
      streamName: "ingest",
      region: "eu-west-1",
      tokensSecretArn: "arn:secret",
      logGroupName: "lg",
    }) as Record<string, unknown>[];
    assert.equal(container!.user, "65532:65532");
    assert.equal(container!.readonlyRootFilesystem, true);
    assert.equal(container!.privileged, false);
    assert.deepEqual(container!.linuxParameters, {
      capabilities: { drop: ["ALL"] },
      initProcessEnabled: true,
    });
    assert.deepEqual(container!.secrets, [{ name: "TOKENS", valueFrom: "arn:secret" }]);
    const env = container!.environment as { name: string; value: string }[];
    assert.deepEqual(
      env.map((e) => e.name),
      ["AWS_REGION", "PORT", "PROXY_PROTOCOL", "STREAM_NAME"],
    );
    assert.ok(!env.some((e) => /TOKEN|KEY|SECRET|PASSWORD/.test(e.name)));
  });

  it("execution role: ECR statements only when the image comes from our repository", () => {
    const scope = { logGroupArn: "arn:lg", tokensSecretArn: "arn:s", keyArn: "arn:k" };
    assert.deepEqual(
      receiverExecutionStatements(scope).map((s) => s.Sid),
      ["WriteTheTaskLogs", "ReadTheTokens", "DecryptTheTokens"],
    );
    assert.deepEqual(
      receiverExecutionStatements({ ...scope, repositoryArn: "arn:repo" }).map((s) => [s.Sid, s.Resource]),
      [
        ["LogInToEcr", "*"],
        ["PullTheReceiverImage", "arn:repo"],
        ["WriteTheTaskLogs", "arn:lg:log-stream:*"],
        ["ReadTheTokens", "arn:s"],
        ["DecryptTheTokens", "arn:k"],
      ],
    );
  });

  it("agent configurations name the endpoint and leave the token as a placeholder", () => {
    const configs = agentConfigs({ host: "logs.example.com", region: "eu-west-1", streamName: "ingest-1" });
    assert.match(configs.logSender, /--url https:\/\/logs\.example\.com\/v1\/logs/);
    assert.match(configs.fluentBit, /Host {9}logs\.example\.com/);
    assert.match(configs.fluentBit, /Header {7}Authorization Bearer <INGEST_TOKEN>/);
    assert.match(configs.fluentd, /stream_name ingest-1\n/);
    assert.match(configs.fluentd, /region eu-west-1\n/);
    for (const config of [configs.logSender, configs.fluentBit, configs.fluentd])
      assert.ok(!config.includes("undefined"));
    assert.ok(configs.logSender.includes(TOKEN_PLACEHOLDER));
  });
});
