/**
 * @module test/e2e/config-file-allowed-roots.test
 * `allowedRoots` pointed at /dev/zero, a FIFO, a directory, a missing path or an oversized file: exit 2, one line.
 */
import { describeConfigFile } from "./config-files-kit.js";

describeConfigFile("allowedRoots");
