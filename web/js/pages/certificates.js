// @ts-check
/**
 * @module web/pages/certificates
 * The certificate inventory: served and CT-logged certificates, search, expiry. A placeholder until the page is built.
 */
import { comingSoon } from "./coming-soon.js";

export default comingSoon(
  "Certificates",
  "Every certificate served by a scanned endpoint or logged in CT for a watched name, soonest expiry first.",
  "/api/v1/certificates",
);
