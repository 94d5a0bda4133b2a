// @ts-check
/**
 * @module web/pages/users
 * Users and API tokens: roles, passwords, tokens (shown once). A placeholder until the page is built.
 */
import { comingSoon } from "./coming-soon.js";

export default comingSoon(
  "Users & tokens",
  "Your API tokens, and for administrators every user and role.",
  "/api/v1/tokens",
);
