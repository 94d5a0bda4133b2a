/**
 * @module bin
 * Process entry: runs the CLI with the real argv and streams (bin/certwatch.js loads the built copy).
 */
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2));
