// @ts-check
/**
 * @module web/pages/ct-logs
 * The CT logs followed: position, head, lag and last error. A placeholder until the page is built.
 */
import { comingSoon } from "./coming-soon.js";

export default comingSoon(
  "CT logs",
  "Each Certificate Transparency log followed: how far it is read, its lag and its last error.",
  "/api/v1/ct/logs",
);
