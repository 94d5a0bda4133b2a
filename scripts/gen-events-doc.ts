// Rewrites docs/events.md from the catalogue (npm run docs:events).
import { writeFileSync } from "node:fs";
import { renderEventsDoc } from "../src/docs/events-doc.js";

writeFileSync(new URL("../docs/events.md", import.meta.url), renderEventsDoc());
