#!/usr/bin/env node
// Entry point of the `certwatch` command: runs the compiled CLI (built by `npm ci` / `npm run build`).
import "../dist/bin.js";
