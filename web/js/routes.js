// @ts-check
/**
 * @module web/routes
 * The route table: every page of the dashboard, in navigation order. A page is one module under pages/ whose
 * default export renders it; adding a page is that module and one line here (docs/dashboard.md).
 */

/** @type {readonly import("./router.js").Route[]} */
export const ROUTES = [
  { path: "/", title: "Overview", nav: true, load: () => import("./pages/overview.js") },
  { path: "/alerts", title: "Alerts", nav: true, load: () => import("./pages/alerts.js") },
  { path: "/alerts/:id", title: "Alert", load: () => import("./pages/alert.js") },
  { path: "/certificates", title: "Certificates", nav: true, load: () => import("./pages/certificates.js") },
  { path: "/endpoints", title: "Endpoints", nav: true, load: () => import("./pages/endpoints.js") },
  { path: "/domains", title: "Domains", nav: true, load: () => import("./pages/domains.js") },
  { path: "/ct-logs", title: "CT logs", nav: true, load: () => import("./pages/ct-logs.js") },
  { path: "/delivery", title: "Delivery", nav: true, load: () => import("./pages/delivery.js") },
  { path: "/users", title: "Users & tokens", nav: true, load: () => import("./pages/users.js") },
  {
    path: "/audit",
    title: "Audit log",
    nav: true,
    needs: "audit.read",
    load: () => import("./pages/audit.js"),
  },
];
