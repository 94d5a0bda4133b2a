// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  // The dashboard's browser modules (web/) are JavaScript checked by TypeScript (web/tsconfig.json): linted too.
  { ignores: ["dist/", "node_modules/", "coverage/", "**/*.js", "!web/**/*.js", "**/*.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          allowForKnownSafeCalls: [
            {
              from: "package",
              package: "node:test",
              name: ["describe", "it", "test", "before", "after", "suite"],
            },
          ],
        },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/restrict-template-expressions": [
        "error",
        { allowNumber: true, allowBoolean: true },
      ],
    },
  },
  {
    files: ["web/**/*.js"],
    languageOptions: { sourceType: "module" },
    rules: {
      // Browser globals are TypeScript's DOM library (web/tsconfig.json, no Node types): tsc reports an unknown
      // name, which is stricter than a list of globals.
      "no-undef": "off",
      // Data becomes DOM through h() (textContent), never HTML: these sinks are refused outright.
      "no-restricted-properties": [
        "error",
        { property: "innerHTML", message: "build DOM with h(): data must stay text" },
        { property: "outerHTML", message: "build DOM with h(): data must stay text" },
        { property: "insertAdjacentHTML", message: "build DOM with h(): data must stay text" },
        { object: "document", property: "write", message: "build DOM with h()" },
        { object: "document", property: "writeln", message: "build DOM with h()" },
      ],
      "no-restricted-syntax": [
        "error",
        { selector: "CallExpression[callee.name='eval']", message: "no eval: the CSP forbids it" },
        { selector: "NewExpression[callee.name='Function']", message: "no new Function: the CSP forbids it" },
        {
          selector: "ImportDeclaration[source.value=/^[^.]/]",
          message: "browser modules import files by relative path",
        },
      ],
    },
  },
);
