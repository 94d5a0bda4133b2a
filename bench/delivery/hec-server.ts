/**
 * @module bench/delivery/hec-server
 * The benchmark's Splunk HEC receiver in a child process (counts only), driven over IPC: "ready" with its port,
 * "counts" on request.
 */
import { startSplunkHecReceiver } from "../../test/helpers/splunk-hec-receiver.js";

export type ReceiverMessage =
  | { readonly type: "ready"; readonly port: number }
  | {
      readonly type: "counts";
      readonly received: number;
      readonly duplicates: number;
      readonly requests: number;
    };

const [token] = process.argv.slice(2);
const receiver = await startSplunkHecReceiver({
  token: token ?? "",
  countOnly: true,
  maxContentLength: 8_000_000,
});
const send = (m: ReceiverMessage): void => void process.send?.(m);
process.on("message", (m: { type: string }) => {
  if (m.type === "counts") {
    send({
      type: "counts",
      received: receiver.receivedCount,
      duplicates: receiver.duplicates,
      requests: receiver.requestCount,
    });
  }
});
process.on("SIGTERM", () => {
  void receiver.close().then(() => process.exit(0));
});
send({ type: "ready", port: receiver.port });
