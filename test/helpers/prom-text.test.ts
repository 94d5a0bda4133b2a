import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseExposition, samplesOf } from "./prom-text.js";

describe("parseExposition", () => {
  it("reads families, samples, labels and their three escapes", () => {
    const e = parseExposition(
      [
        "# HELP x509_cert_not_after The notAfter",
        "# TYPE x509_cert_not_after gauge",
        'x509_cert_not_after{subject_CN="a\\\\b \\"q\\" \\n }",serial_number="1"} 1798675200',
        "process_start_time_seconds 1.5e9",
        "nodejs_eventloop_lag_mean_seconds Nan",
        'h_bucket{le="+Inf"} 3',
        "",
      ].join("\n"),
    );
    assert.equal(e.types.get("x509_cert_not_after"), "gauge");
    assert.deepEqual(samplesOf(e, "x509_cert_not_after"), [
      {
        name: "x509_cert_not_after",
        labels: { subject_CN: 'a\\b "q" \n }', serial_number: "1" },
        value: 1798675200,
      },
    ]);
    assert.equal(samplesOf(e, "process_start_time_seconds")[0]?.value, 1.5e9);
    assert.equal(samplesOf(e, "h_bucket", { le: "+Inf" }).length, 1);
    assert.ok(Number.isNaN(samplesOf(e, "nodejs_eventloop_lag_mean_seconds")[0]?.value));
  });

  it("refuses what Prometheus would refuse", () => {
    for (const bad of [
      'm{l="unterminated} 1\n',
      'm{l="a"b"} 1\n',
      'm{l="\\t"} 1\n',
      'm{l="a",l="b"} 1\n',
      'm{1l="a"} 1\n',
      "m one\n",
      "m 1",
      'm{l="a"}1\n',
    ]) {
      assert.throws(() => parseExposition(bad), Error, bad);
    }
  });
});
